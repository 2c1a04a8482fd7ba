import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { Clock, isVisible, type Post, postUrl, WebmentionsService } from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { BoundedFetch, FetchError } from './bounded-fetch.js';
import { discoverEndpoint } from './discovery.js';
import { linksOf } from './html-links.js';

/** Bounds of one round of sending, inside the author's save request. */
export const SEND_LIMITS = {
  /** Links of one post mentioned at most per save; the rest wait for the next save. */
  maxTargets: 20,
  /** The whole round: the save's answer waits at most this long for it. */
  budgetMs: 8_000,
  /** Targets handled at once. */
  concurrency: 4,
  discovery: { timeoutMs: 3_000, maxBytes: 1024 * 1024, maxRedirects: 5 },
  post: { timeoutMs: 3_000, maxBytes: 64 * 1024, maxRedirects: 0 },
};

export interface SendReport {
  sent: number;
  skipped: number;
  failed: number;
}

/**
 * Sending Webmentions (W3C Webmention, 3.1) for a visible post: every http(s) link of its HTML to
 * another site, plus links it no longer has but was sent for (so their receivers delete the
 * mention). Run inside the author's save request, bounded by SEND_LIMITS (no CPU after the
 * response on Cloud Run); a target whose round was cut short is tried on the next save. What was
 * sent is recorded with a fingerprint of the post's HTML, so saving an unchanged post sends
 * nothing. Never throws: a failure is recorded and logged, the save stands.
 */
@Injectable()
export class WebmentionSender {
  private readonly logger = new Logger('Webmention');
  private readonly siteUrl: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly mentions: WebmentionsService,
    private readonly fetcher: BoundedFetch,
    private readonly clock: Clock,
  ) {
    this.siteUrl = config.siteUrl;
  }

  async sendFor(post: Post): Promise<SendReport> {
    const report: SendReport = { sent: 0, skipped: 0, failed: 0 };
    try {
      if (!isVisible(post, this.clock.now())) return report;
      const source = `${this.siteUrl}${postUrl(post.slug)}`;
      const own = new URL(this.siteUrl).origin;
      const links = linksOf(post.html, source)
        .filter((u) => new URL(u).origin !== own)
        .slice(0, SEND_LIMITS.maxTargets);
      const hash = createHash('sha256').update(source).update('\n').update(post.html).digest('hex');
      const sent = await this.mentions.sentFor(post.id);
      const current = links.filter((t) => sent.get(t)?.contentHash !== hash);
      const removed = [...sent.keys()].filter((t) => !links.includes(t));
      report.skipped = links.length - current.length;
      const jobs = [
        ...current.map((target) => () => this.sendOne(post.id, source, target, hash, false, report)),
        ...removed.map((target) => () => this.sendOne(post.id, source, target, hash, true, report)),
      ];
      await runBounded(jobs, SEND_LIMITS.concurrency, Date.now() + SEND_LIMITS.budgetMs);
    } catch (err) {
      this.logger.warn(`sending Webmentions for post ${post.id} stopped: ${(err as Error).message}`);
    }
    return report;
  }

  private async sendOne(postId: number, source: string, target: string, hash: string, gone: boolean, report: SendReport) {
    let endpoint: string | null = null;
    let outcome: string;
    try {
      const page = await this.fetcher.get(target, SEND_LIMITS.discovery);
      endpoint = discoverEndpoint(page);
      if (!endpoint) {
        outcome = 'no endpoint';
      } else {
        const answer = await this.fetcher.postForm(endpoint, { source, target }, SEND_LIMITS.post);
        outcome = String(answer.status);
        if (answer.status >= 200 && answer.status < 300) report.sent++;
        else report.failed++;
      }
    } catch (err) {
      report.failed++;
      outcome = err instanceof FetchError ? err.reason : 'error';
    }
    if (gone) await this.mentions.forgetSent(postId, target);
    else await this.mentions.recordSent(postId, target, hash, endpoint, outcome);
    this.logger.log(`sent for post ${postId} to ${new URL(target).host}: ${outcome}`);
  }
}

/** Runs jobs `concurrency` at a time; none starts after `deadline` (the ones running finish within their own bounds). */
async function runBounded(jobs: (() => Promise<void>)[], concurrency: number, deadline: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && Date.now() < deadline) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}
