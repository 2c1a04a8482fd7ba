import { Inject, Injectable, Logger } from '@nestjs/common';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { isReplicatedSince, parseReplicationPosition, type ReplicationPosition } from './litestream-metrics.js';
import { shadowWalFileSize } from './shadow-wal.js';

export type ReplicationOutcome = 'replicated' | 'pending' | 'off';

const POLL_MS = 25;

/**
 * Replicated saves: Cloud Run throttles the CPU between requests, so Litestream's background sync
 * may not run after a response is sent. An author's save therefore answers only once Litestream
 * says the write is on the replica, or after a bounded wait ('pending': saved locally, the final
 * sync at shutdown or the next sync ships it).
 */
@Injectable()
export class ReplicationService {
  private readonly logger = new Logger('Replication');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.litestreamMetricsUrl !== null;
  }

  /** Call after the write has committed. `withinMs`: the bound (default REPLICATION_WAIT_MS). */
  async waitForReplication(withinMs = this.config.replicationWaitMs): Promise<ReplicationOutcome> {
    if (!this.enabled) return 'off';
    const deadline = Date.now() + withinMs;
    let start: ReplicationPosition | null = null;
    while (Date.now() < deadline) {
      const now = await this.read();
      if (now) {
        start ??= now;
        // The file is read after the metrics: it can only have grown since, which errs on the safe side.
        const fileSize = await shadowWalFileSize(this.config.databasePath, now.shadowWalIndex);
        if (isReplicatedSince(start, now, fileSize)) return 'replicated';
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.logger.warn(`A save was not confirmed replicated within ${withinMs} ms; it is stored locally and will sync`);
    return 'pending';
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
