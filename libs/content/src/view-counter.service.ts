import { EntityManager } from '@mikro-orm/better-sqlite';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import { WRITE_GATE, type WriteGate } from './write-gate.js';

const FLUSH_EVERY_MS = 30_000;
/** Shown counts move at most this often: each move re-renders every cached page once. */
export const SHOWN_COUNTS_EVERY_MS = 60_000;
const FLUSH_AT_PENDING = 500;
/** Crawlers and link previews are not readers. */
const NOT_A_READER = /bot|crawl|spider|slurp|preview|fetch|monitor|curl|wget|headless|lighthouse/i;

/**
 * Per-post view counts without cookies or personal data: a counter per post per day, held in
 * memory and written in one statement per batch, so a burst of readers is not a burst of writes.
 * A crash loses at most the pending batch; counters are allowed to lag.
 *
 * No timer: Cloud Run throttles the CPU between requests, so a timer would fire whenever the next
 * request happens to come anyway. Instead the first request once the oldest pending count is
 * FLUSH_EVERY_MS old writes the batch before it goes on (flushIfDue, from a middleware), so it is
 * done while that request holds the CPU; a full batch is written at once; shutdown writes the rest.
 */
@Injectable()
export class ViewCounterService implements OnModuleDestroy {
  private readonly logger = new Logger('ViewCounter');
  private pending = new Map<string, number>(); // "postId|day" → count
  private pendingTotal = 0;
  /** When the oldest pending count was recorded (Clock time); null when nothing is pending. */
  private pendingSince: number | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** The stored counts pages show, loaded in one query; null until loaded or once they moved. */
  private shownCounts: Promise<ShownCounts> | null = null;
  private shownEpoch = 1;
  private shownAt = Number.NEGATIVE_INFINITY;
  /** A flush stored counts since the shown ones were loaded. */
  private storedMoved = false;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Optional() @Inject(WRITE_GATE) private readonly gate?: WriteGate,
    @Optional() events?: ContentEvents,
  ) {
    // A deleted post takes its views with it (ON DELETE CASCADE): reload on the next page.
    events?.onChange((change) => {
      if (change === 'post') this.republish(false);
    });
  }

  /** Counts one view unless the client says it is a robot. */
  record(postId: number, userAgent: string | undefined): void {
    if (!userAgent || NOT_A_READER.test(userAgent)) return;
    const key = `${postId}|${this.clock.now().toISOString().slice(0, 10)}`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.pendingTotal++;
    this.pendingSince ??= this.clock.now().getTime();
    if (this.pendingTotal >= FLUSH_AT_PENDING) void this.flush();
  }

  /** The batch's write when its interval has passed (null when it has not): the caller awaits it. */
  flushIfDue(): Promise<void> | null {
    if (this.pendingSince === null || this.clock.now().getTime() - this.pendingSince < FLUSH_EVERY_MS) return null;
    return this.flush();
  }

  /**
   * Which version of the shown counts is current. Pages that show counts are cached with the
   * epoch they were rendered at; the page cache renders them again once it moved. It moves when a
   * flush stored new counts, at most once per SHOWN_COUNTS_EVERY_MS (checked here, on lookups:
   * no timer), so a busy blog re-renders each page at most once a minute, and a quiet one never.
   */
  currentEpoch(): number {
    if (this.storedMoved && this.clock.now().getTime() - this.shownAt >= SHOWN_COUNTS_EVERY_MS) this.republish(true);
    return this.shownEpoch;
  }

  /**
   * The counts as of the last flush that readers see (per post and site-wide): one query when
   * they moved, none otherwise, so rendering a page costs no query for them.
   */
  shown(): Promise<ShownCounts> {
    this.currentEpoch();
    if (!this.shownCounts) {
      const epoch = this.shownEpoch;
      this.shownCounts = this.loadShown(epoch).catch((err: unknown) => {
        if (this.shownEpoch === epoch) this.shownCounts = null;
        throw err;
      });
    }
    return this.shownCounts;
  }

  /** Stored total plus what is still waiting to be written. */
  async total(postId: number): Promise<number> {
    const rows = await this.em
      .getConnection()
      .execute<{ n: number | null }[]>('SELECT sum(count) AS n FROM post_view WHERE post_id = ?', [postId]);
    let waiting = 0;
    for (const [key, n] of this.pending) if (key.startsWith(`${postId}|`)) waiting += n;
    return (rows[0]?.n ?? 0) + waiting;
  }

  /** The most-read posts of all time, for the dashboard. */
  mostRead(limit: number): Promise<{ id: number; slug: string; title: string; views: number }[]> {
    return this.em.getConnection().execute(
      `SELECT p.id, p.slug, p.title, sum(v.count) AS views FROM post_view v JOIN post p ON p.id = v.post_id
        GROUP BY p.id ORDER BY views DESC, p.id LIMIT ?`,
      [limit],
    );
  }

  /** Views of all posts per UTC day from `since` (YYYY-MM-DD) on; days without views are absent. */
  async perDay(since: string): Promise<{ day: string; views: number }[]> {
    const rows = await this.em
      .getConnection()
      .execute<{ day: string; views: number }[]>(
        'SELECT day, sum(count) AS views FROM post_view WHERE day >= ? GROUP BY day ORDER BY day',
        [since],
      );
    const byDay = new Map(rows.map((r) => [r.day, r.views]));
    for (const [key, n] of this.pending) {
      const day = key.slice(key.indexOf('|') + 1);
      if (day >= since) byDay.set(day, (byDay.get(day) ?? 0) + n);
    }
    return [...byDay].map(([day, views]) => ({ day, views })).sort((a, b) => a.day.localeCompare(b.day));
  }

  /** Writes the pending counts; `withinMs` bounds the write gate's check (at shutdown). */
  flush(withinMs?: number): Promise<void> {
    this.flushing = this.flushing.then(() => this.write(withinMs));
    return this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  /**
   * The next page loads the counts again. Only a move of the counts themselves starts the minute:
   * a content write drops every cached page anyway.
   */
  private republish(countsMoved: boolean): void {
    this.shownEpoch++;
    this.shownCounts = null;
    if (countsMoved) this.shownAt = this.clock.now().getTime();
    this.storedMoved = false;
  }

  private async loadShown(epoch: number): Promise<ShownCounts> {
    const rows = await this.em
      .getConnection()
      .execute<{ post_id: number; n: number }[]>('SELECT post_id, sum(count) AS n FROM post_view GROUP BY post_id');
    const perPost = new Map(rows.map((r) => [r.post_id, r.n]));
    let all = 0;
    for (const n of perPost.values()) all += n;
    return { epoch, all, of: (postId) => perPost.get(postId) ?? 0 };
  }

  private async write(withinMs?: number): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.pendingTotal = 0;
    this.pendingSince = null;
    // Why drop rather than keep: an instance that lost the writer lease must never write again.
    if (this.gate && !(await this.gate.mayWrite(withinMs))) {
      this.logger.warn(`Dropped ${batch.size} view counts: this instance may not write`);
      return;
    }
    const rows = [...batch].map(([key, n]) => {
      const [postId, day] = key.split('|');
      return [Number(postId), day, n] as const;
    });
    try {
      // Posts deleted since the view was counted are skipped by the join instead of failing the batch.
      const values = rows.map(() => '(?, ?, ?)').join(', ');
      await this.em.getConnection().execute(
        `INSERT INTO post_view (post_id, day, count)
           SELECT v.column1, v.column2, v.column3 FROM (VALUES ${values}) v JOIN post p ON p.id = v.column1
           WHERE true
         ON CONFLICT (post_id, day) DO UPDATE SET count = count + excluded.count`,
        rows.flat(),
        'run',
      );
      this.storedMoved = true;
    } catch (err) {
      this.logger.warn(`Could not store ${rows.length} view counts: ${(err as Error).message}`);
    }
  }
}

/** View counts as readers see them: as of a flush, the same for every page of one epoch. */
export interface ShownCounts {
  epoch: number;
  /** Views of every post, site-wide. */
  all: number;
  of(postId: number): number;
}
