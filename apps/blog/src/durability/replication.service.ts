import { EntityManager } from '@mikro-orm/better-sqlite';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { WRITE_GATE, type WriteGate } from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { LITESTREAM_NUDGE_SQL } from './litestream-nudge.js';
import { isReplicatedSince, parseReplicationPosition, type ReplicationPosition } from './litestream-metrics.js';
import { shadowWalFileSize } from './shadow-wal.js';

export type ReplicationOutcome = 'replicated' | 'pending' | 'off';

const POLL_MS = 25;
/**
 * How long a save may wait before the app nudges Litestream, and how often again: past one
 * sync-interval (1 s) plus a monitor-interval, a healthy Litestream has normally shipped it.
 */
const NUDGE_AFTER_MS = 2000;
const NUDGE_EVERY_MS = 1000;

/**
 * Replicated saves: Cloud Run throttles the CPU between requests, so Litestream's background sync
 * may not run after a response is sent. An author's save therefore answers only once Litestream
 * says the write is on the replica, or after a bounded wait ('pending': saved locally, the final
 * sync at shutdown or the next sync ships it).
 *
 * Litestream 0.3.13 can miss a commit until the next write, which on a quiet blog may be hours away
 * (litestream-nudge.ts says when): while a save waits, the app nudges it after NUDGE_AFTER_MS.
 */
@Injectable()
export class ReplicationService {
  private readonly logger = new Logger('Replication');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    @Inject(WRITE_GATE) private readonly gate: WriteGate,
  ) {}

  get enabled(): boolean {
    return this.config.litestreamMetricsUrl !== null;
  }

  /** Call after the write has committed. `withinMs`: the bound (default REPLICATION_WAIT_MS). */
  async waitForReplication(withinMs = this.config.replicationWaitMs): Promise<ReplicationOutcome> {
    if (!this.enabled) return 'off';
    const deadline = Date.now() + withinMs;
    let nextNudge = Date.now() + NUDGE_AFTER_MS;
    let nudges = 0;
    let start: ReplicationPosition | null = null;
    while (Date.now() < deadline) {
      const now = await this.read();
      if (now) {
        start ??= now;
        // The file is read after the metrics: it can only have grown since, which errs on the safe side.
        const fileSize = await shadowWalFileSize(this.config.databasePath, now.shadowWalIndex);
        if (isReplicatedSince(start, now, fileSize)) {
          if (nudges > 0) this.logger.log(`A save was replicated after Litestream was nudged ${nudges} time(s)`);
          return 'replicated';
        }
      }
      if (Date.now() >= nextNudge) {
        if (nudges === 0) {
          this.logger.warn(
            `Litestream had not shipped a save after ${NUDGE_AFTER_MS} ms: nudged Litestream with a one-row write`,
          );
        }
        nudges += (await this.nudge()) ? 1 : 0;
        nextNudge = Date.now() + NUDGE_EVERY_MS;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.logger.warn(`A save was not confirmed replicated within ${withinMs} ms; it is stored locally and will sync`);
    return 'pending';
  }

  /**
   * One tiny write that makes Litestream's next sync see a changed WAL; false when it could not.
   * Asked of the writer lease like every other write: an instance that lost it (a rollout's old
   * revision, waiting at shutdown) must not add to its generation.
   */
  private async nudge(): Promise<boolean> {
    try {
      if (!(await this.gate.mayWrite(NUDGE_EVERY_MS))) return false;
      await this.em.getConnection().execute(LITESTREAM_NUDGE_SQL);
      return true;
    } catch (err) {
      // No _litestream_seq (Litestream has not opened this file) or a busy database: the wait goes on.
      this.logger.warn(`Could not nudge Litestream: ${(err as Error).message}`);
      return false;
    }
  }

  private async read(): Promise<ReplicationPosition | null> {
    try {
      const res = await fetch(this.config.litestreamMetricsUrl!, { signal: AbortSignal.timeout(1000) });
      if (!res.ok) return null;
      return parseReplicationPosition(await res.text(), this.config.databasePath);
    } catch {
      return null;
    }
  }
}
