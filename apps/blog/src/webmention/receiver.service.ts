import { Inject, Injectable, Logger } from '@nestjs/common';

import { type Post, PostsService, postSlugOfPath, WebmentionsService } from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { BoundedFetch, FetchError } from './bounded-fetch.js';
import { classifyMention } from './classify.js';
import { absoluteHttpUrl, linksTo } from './html-links.js';

/** What the endpoint answers: the status and a one-line message for the sender. */
export interface ReceiveOutcome {
  status: 202 | 400;
  message: string;
}

const MAX_URL_LENGTH = 2048;

/** A source is read up to this size, this long, through this many redirects. */
export const SOURCE_BOUNDS = { timeoutMs: 5_000, maxBytes: 1024 * 1024, maxRedirects: 5 };

/**
 * Receiving a Webmention (W3C Webmention, 3.2): the request is checked at once (400 with the
 * reason), then the source is fetched and verified within the same request (bounded: see
 * SOURCE_BOUNDS), because Cloud Run gives no CPU after the response; the answer is 202 Accepted
 * since the mention is then held for the author's approval. A source that no longer links to the
 * target (or answers 410) deletes the stored mention.
 */
@Injectable()
export class WebmentionReceiver {
  private readonly logger = new Logger('Webmention');
  private readonly origin: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly posts: PostsService,
    private readonly mentions: WebmentionsService,
    private readonly fetcher: BoundedFetch,
  ) {
    this.origin = new URL(config.siteUrl).origin;
  }

  async receive(sourceRaw: unknown, targetRaw: unknown): Promise<ReceiveOutcome> {
    const source = httpUrl(sourceRaw);
    const target = httpUrl(targetRaw);
    if (!source) return bad('source must be an absolute http(s) URL.');
    if (!target) return bad('target must be an absolute http(s) URL.');
    if (source === target) return bad('source and target must be different URLs.');
    const post = await this.postOf(target);
    if (!post) return bad('target is not a published post of this blog.');

    let page;
    try {
      page = await this.fetcher.get(source, SOURCE_BOUNDS);
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      return bad(`source could not be verified: ${err.message}.`);
    }
    if (page.status === 410) {
      const removed = await this.mentions.removeSource(source, target);
      return {
        status: 202,
        message: removed ? 'Accepted: source is gone, its mention was removed.' : 'Accepted: source is gone.',
      };
    }
    if (page.status < 200 || page.status >= 300) return bad(`source could not be verified: it answered ${page.status}.`);
    const html = page.body.toString('utf8');
    if (!(await linksTo(html, page.url, target))) {
      // The spec: a source that stopped linking removes an existing mention.
      await this.mentions.removeSource(source, target);
      return bad('source does not link to target.');
    }
    const facts = await classifyMention(html, page.url, target);
    const result = await this.mentions.record(post, source, target, facts);
    this.logger.log(`${result} ${facts.kind} from ${new URL(source).host} for post ${post.id}, held for approval`);
    return { status: 202, message: "Accepted: verified, held for the author's approval." };
  }

  /** The visible post a target URL names, if it is this blog's. */
  private async postOf(target: string): Promise<Post | null> {
    const url = new URL(target);
    if (url.origin !== this.origin || url.search) return null;
    const slug = postSlugOfPath(url.pathname);
    return slug ? this.posts.findVisibleBySlug(slug) : null;
  }
}

function httpUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_URL_LENGTH || !/^https?:\/\//i.test(raw.trim())) return null;
  return absoluteHttpUrl(raw, raw);
}

const bad = (message: string): ReceiveOutcome => ({ status: 400, message });
