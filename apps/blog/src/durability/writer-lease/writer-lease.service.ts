import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';

import type { WriteGate } from '@app/content';

import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { GcsLeaseStore } from './gcs-lease-store.js';
import { type LeaseStore, leaseLocation } from './lease-record.js';
import { readLitestreamGeneration } from './litestream-generation.js';
import { type GenerationBucket, generationsToDelete } from './prune-generations.js';
import { WriterLeaseError } from './writer-lease.errors.js';

/** Injection token to hand the service another store (unit tests). */
export const LEASE_STORE = Symbol('LEASE_STORE');

/**
 * How long boot may take to see Litestream's first snapshot of this instance in the bucket and name
 * it in the lease. main.ts waits for this before it listens (startup is when Cloud Run gives the
 * CPU), so it is part of the startup probe's budget (deploy-budget.e2e-spec.ts adds it up).
 */
export const PUBLISH_WAIT_MS = 60_000;
/** PUBLISH_WAIT_MS plus the lease read and write that follow (each call bounded at 5 s): what main.ts waits at most. */
export const PUBLISH_BOUND_MS = PUBLISH_WAIT_MS + 15_000;
const POLL_MS = 50;

/**
 * This instance's side of the writer lease (start.sh took it before restoring; see
 * scripts/start.sh and the README's reliability section).
 *
 * - At boot it waits for Litestream's new generation to have its snapshot in the bucket, then
 *   writes that generation into the lease, on top of the lease object it took (a precondition).
 *   Until then writes are refused: a successor would not know where this instance's writes are.
 * - Before every write, and again after a save is replicated but before it is acknowledged, it
 *   checks that the lease object is still the one it wrote. There are no timers and no renewals:
 *   Cloud Run throttles the CPU between requests, so only requests do work.
 * - Once the lease has moved it never writes again (nor the lease) and tells its listeners. The
 *   process goes on serving reads until Cloud Run's SIGTERM (see main.ts for why it does not exit).
 *
 * Without a lease (local runs, non-GCS replicas) everything is allowed, as before.
 */
@Injectable()
export class WriterLeaseService implements WriteGate, OnApplicationBootstrap {
  private readonly logger = new Logger('WriterLease');
  private readonly store: LeaseStore | null;
  private objectGeneration: number;
  private publishedGeneration: string | null = null;
  private restoredFrom: string | null = null;
  private ready: Promise<boolean> | null = null;
  private lost = false;
  private readonly lostListeners: (() => void)[] = [];
  /** Lease writes run one at a time, so a check never compares against a generation being replaced. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(LEASE_STORE) store?: LeaseStore,
  ) {
    const location = leaseLocation(config.litestreamReplicaUrl);
    this.store =
      config.writerLease && location
        ? (store ?? new GcsLeaseStore(location, Math.min(Math.max(config.replicationWaitMs, 1000), 5000)))
        : null;
    this.objectGeneration = config.writerLease?.objectGeneration ?? 0;
  }

  get enabled(): boolean {
    return this.store !== null;
  }

  onApplicationBootstrap(): void {
    // Started here, awaited by main.ts before it listens (see published()).
    if (this.enabled) this.ready = this.publish();
  }

  /**
   * Resolves once this instance's generation is named in the lease (true), or publishing gave up
   * (false: writes stay refused and are retried on the next write). At most PUBLISH_WAIT_MS plus the
   * lease calls' own timeouts, PUBLISH_BOUND_MS in all. Why main.ts waits for it before listening: with request-based
   * billing, the CPU is there while the instance starts and while requests are served, and almost
   * not at all in between; Litestream's first snapshot upload and the lease write would otherwise
   * crawl between requests and turn the first saves away with "the site is moving".
   */
  async published(): Promise<boolean> {
    if (!this.ready) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PUBLISH_BOUND_MS).unref()));
    try {
      return await Promise.race([this.ready, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `listener` once, when the lease is found lost (at once if it already is). */
  onLost(listener: () => void): void {
    if (this.lost) listener();
    else this.lostListeners.push(listener);
  }

  /**
   * Before a write, and after it replicated: 'held' when the lease object is still ours,
   * 'unconfirmed' when the bucket did not answer (the write may go ahead, but it can only be
   * reported as pending, never as safe). Throws WriterLeaseError when the lease has moved, or
   * while this instance has not yet published its generation.
   */
  async check(): Promise<'held' | 'unconfirmed' | 'off'> {
    if (!this.store) return 'off';
    if (this.lost) throw new WriterLeaseError('lost');
    const ready = await Promise.race([this.ready, sleep(this.config.replicationWaitMs).then(() => null)]);
    if (ready === false && !this.lost) this.ready = this.publish(); // it failed (say, the bucket was unreachable): try again
    if (!ready) throw new WriterLeaseError(this.lost ? 'lost' : 'starting');
    return this.exclusive(() => this.confirm());
  }

  /** For the view counters in @app/content: they write only with the lease confirmed (in time, if bounded). */
  async mayWrite(withinMs?: number): Promise<boolean> {
    const checked = this.check().then(
      (state) => state !== 'unconfirmed',
      (err: unknown) => {
        if (err instanceof WriterLeaseError) return false;
        throw err;
      },
    );
    if (withinMs === undefined) return checked;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(withinMs, 0)).unref()));
    try {
      return await Promise.race([checked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async publish(): Promise<boolean> {
    const deadline = Date.now() + PUBLISH_WAIT_MS;
    try {
      const generation = await poll(() => readLitestreamGeneration(this.config.databasePath), PUBLISH_WAIT_MS);
      if (!generation) {
        this.logger.error(`Litestream started no generation within ${PUBLISH_WAIT_MS / 1000} s: writes stay refused`);
        return false;
      }
      const published = await this.exclusive(() => this.publishGeneration(generation, Math.max(deadline - Date.now(), 0)));
      // Not awaited: old generations go while the first requests are served (see prune()).
      if (published) void this.prune();
      return published;
    } catch (err) {
      this.logger.error(`Could not publish this instance's generation in the writer lease: ${(err as Error).message}`);
      return false;
    }
  }

  /** The lease object must still be ours; a new Litestream generation is published before use. */
  private async confirm(): Promise<'held' | 'unconfirmed'> {
    if (this.lost) throw new WriterLeaseError('lost');
    try {
      const generation = await readLitestreamGeneration(this.config.databasePath);
      if (generation && generation !== this.publishedGeneration) {
        // Litestream began a new generation (it does after a WAL it cannot follow): name it first.
        this.logger.warn(`Litestream moved to generation ${generation}: publishing it in the lease`);
        if (await this.publishGeneration(generation, this.config.replicationWaitMs)) return 'held';
      } else if ((await this.store!.currentGeneration()) === this.objectGeneration) {
        return 'held';
      } else {
        this.markLost();
      }
    } catch (err) {
      this.logger.warn(`Could not read the writer lease: ${(err as Error).message}`);
    }
    if (this.lost) throw new WriterLeaseError('lost');
    return 'unconfirmed';
  }

  private async publishGeneration(generation: string, waitMs: number): Promise<boolean> {
    const store = this.store!;
    // A successor restores the generation named here: it must have a snapshot in the bucket first.
    if (!(await poll(() => store.hasSnapshot(generation), waitMs))) {
      this.logger.error(`Generation ${generation} has no snapshot in the bucket yet: writes stay refused`);
      return false;
    }
    const current = await store.read();
    if (!current || current.objectGeneration !== this.objectGeneration) {
      this.markLost();
      return false;
    }
    const record = {
      holder: current.record?.holder ?? this.config.writerLease!.holder,
      revision: current.record?.revision ?? null,
      startedAt: current.record?.startedAt ?? new Date().toISOString(),
      restoredFrom: current.record?.restoredFrom ?? null,
      generation,
    };
    const result = await store.write(record, this.objectGeneration);
    if (!result.written) {
      this.markLost();
      return false;
    }
    this.objectGeneration = result.objectGeneration;
    this.publishedGeneration = generation;
    this.restoredFrom = record.restoredFrom;
    this.logger.log(`Holding the writer lease; writing generation ${generation}`);
    return true;
  }

  /**
   * Deletes the generations earlier instances left behind (see generationsToDelete for which and
   * why that is safe), once per start, after this instance's generation is named in the lease. Its
   * requests may stall while the CPU is throttled between requests and go on with the next one; a
   * pruning cut short is finished by the next start. Never the generation the lease names.
   */
  private async prune(): Promise<void> {
    const bucket = this.store as Partial<GenerationBucket> | null;
    const live = this.publishedGeneration;
    if (!bucket?.generations || !bucket.deleteGeneration || !live) return;
    try {
      const all = await bucket.generations();
      const doomed = generationsToDelete(all, { live, restoredFrom: this.restoredFrom }, new Date());
      if (doomed.length === 0) return;
      // Listed first, then the lease confirmed ours: a newer instance takes the lease before its
      // Litestream starts a generation, so none of the listed ones can be a newer instance's.
      if (this.lost || (await this.store!.currentGeneration()) !== this.objectGeneration) return;
      let objects = 0;
      for (const { generation } of doomed) objects += await bucket.deleteGeneration(generation);
      this.logger.log(
        `Pruned ${doomed.length} old generations (${objects} objects) from the bucket; kept ${all.length - doomed.length}`,
      );
    } catch (err) {
      this.logger.warn(`Could not prune old generations (the next start will): ${(err as Error).message}`);
    }
  }

  private markLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.logger.warn('The writer lease moved to a newer instance: refusing every write, serving reads until SIGTERM');
    for (const listener of this.lostListeners.splice(0)) listener();
  }

  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Polls until `probe` gives a truthy value or the time is up (then the last, falsy, value). */
async function poll<T>(probe: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    // A failed probe (the bucket did not answer) is tried again until the time is up.
    const value = await probe().catch(() => undefined as T);
    if (value || Date.now() >= deadline) return value;
    await sleep(POLL_MS);
  }
}
