import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { Clock, isVisible, type Post, postUrl, WebmentionsService, WRITE_GATE, type WriteGate } from '@app/content';

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
  /**
   * Catching up (posts that went live by their schedule): no new post's round starts after this,
   * on the dashboard and after any author write; the round under way keeps its own bounds.
   */
  catchUpMs: 2_000,
};

export interface SendReport {
  sent: number;
  skipped: number;
  failed: number;
}

/**
 * Sending Webmentions (W3C Webmention, 3.1) for a visible post: every http(s) link of its HTML to
 * another site, plus links it no longer has but was sent for (so their receivers delete the
 * mention). Run inside the author's requests, bounded by SEND_LIMITS (no CPU after the response
 * on Cloud Run): the save of the post itself (`sendFor`); for posts that went live by their
 * schedule since their last round, the dashboard and every author write (`catchUp`); for a
 * deleted post, its delete (`sendDeleted`: its address answers 410, which the receivers verify).
 * A round cut short is finished by a later one. What was sent is recorded with a fingerprint of
 * the post's HTML, so saving an unchanged post sends nothing. Never throws: a failure is recorded
 * and logged, the request stands.
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
    @Optional() @Inject(WRITE_GATE) private readonly gate?: WriteGate,
  ) {
    this.siteUrl = config.siteUrl;
  }

  /** Sends for a post; `deadline` (epoch ms): no target is started after it. */
  async sendFor(post: Post, deadline = Date.now() + SEND_LIMITS.budgetMs): Promise<SendReport> {
    const report: SendReport = { sent: 0, skipped: 0, failed: 0 };
    try {
      const now = this.clock.now();
      if (!isVisible(post, now)) return report;
      const source = `${this.siteUrl}${postUrl(post.slug)}`;
      const own = new URL(this.siteUrl).origin;
      const links = (await linksOf(post.html, source)).filter((u) => new URL(u).origin !== own).slice(0, SEND_LIMITS.maxTargets);
      const hash = createHash('sha256').update(source).update('\n').update(post.html).digest('hex');
      const sent = await this.mentions.sentFor(post.id);
      const current = links.filter((t) => sent.get(t)?.contentHash !== hash);
      const removed = [...sent.keys()].filter((t) => !links.includes(t));
      report.skipped = links.length - current.length;
      const jobs = [
        ...current.map((target) => () => this.sendOne(post.id, source, target, hash, false, report)),
        ...removed.map((target) => () => this.sendOne(post.id, source, target, hash, true, report)),
      ];
      const whole = await runBounded(jobs, SEND_LIMITS.concurrency, deadline);
      // Only a round that reached every target settles the post: the rest is caught up later.
      if (whole) await this.mentions.markSent(post.id, now);
    } catch (err) {
      this.logger.warn(`sending Webmentions for post ${post.id} stopped: ${(err as Error).message}`);
    }
    return report;
  }

  /**
   * Sends for visible posts whose Webmentions are due (they went live by their schedule after
   * their last save), oldest first, starting none after `budgetMs`. Run where the author waits
   * anyway: the dashboard and every author write. Resolves to how many posts got a round.
   */
  async catchUp(budgetMs = SEND_LIMITS.catchUpMs): Promise<number> {
    const deadline = Date.now() + budgetMs;
    const tried: number[] = [];
    try {
      while (Date.now() < deadline) {
        const post = await this.mentions.nextDue(this.clock.now(), tried);
        if (!post) break;
        // It records what it sent, and the dashboard is no author write (no WritePipeline): the
        // lease is asked like the view counters do, once, and only when something is due.
        if (tried.length === 0 && this.gate && !(await this.gate.mayWrite())) return 0;
        tried.push(post.id);
        await this.sendFor(post, deadline);
      }
    } catch (err) {
      this.logger.warn(`catching up on Webmentions stopped: ${(err as Error).message}`);
    }
    return tried.length;
  }

  /**
   * Tells the targets a deleted post had mentioned: the same source, which now answers 410 Gone,
   * so each receiver removes the mention (W3C Webmention 3.2.3). Nothing is recorded: the post's
   * records went with it. Bounded like a save's round.
   */
  async sendDeleted(path: string, targets: string[]): Promise<SendReport> {
    const report: SendReport = { sent: 0, skipped: 0, failed: 0 };
    const source = `${this.siteUrl}${path}`;
    const jobs = targets.slice(0, SEND_LIMITS.maxTargets).map((target) => async () => {
      const { outcome } = await this.deliver(source, target, report);
      this.logger.log(`sent for deleted ${path} to ${new URL(target).host}: ${outcome}`);
    });
    await runBounded(jobs, SEND_LIMITS.concurrency, Date.now() + SEND_LIMITS.budgetMs);
    return report;
  }

  private async sendOne(postId: number, source: string, target: string, hash: string, gone: boolean, report: SendReport) {
    const { endpoint, outcome } = await this.deliver(source, target, report);
    if (gone) await this.mentions.forgetSent(postId, target);
    else await this.mentions.recordSent(postId, target, hash, endpoint, outcome);
    this.logger.log(`sent for post ${postId} to ${new URL(target).host}: ${outcome}`);
  }

  /** Discovers the target's endpoint and posts `source`/`target` to it; never throws. */
  private async deliver(
    source: string,
    target: string,
    report: SendReport,
  ): Promise<{ endpoint: string | null; outcome: string }> {
    let endpoint: string | null = null;
    let outcome: string;
    try {
      const page = await this.fetcher.get(target, SEND_LIMITS.discovery);
      endpoint = await discoverEndpoint(page);
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
    return { endpoint, outcome };
  }
}

/**
 * Runs jobs `concurrency` at a time; none starts after `deadline` (the ones running finish within
 * their own bounds). Resolves to whether every job ran.
 */
async function runBounded(jobs: (() => Promise<void>)[], concurrency: number, deadline: number): Promise<boolean> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && Date.now() < deadline) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return next >= jobs.length;
}
