import type { EntityManager } from '@mikro-orm/better-sqlite';

import { retryWhileBusy } from './first-boot.js';

/** Compact only when this much of the file is free: a rewrite of the whole file is not free. */
const MIN_FREE_BYTES = 1024 * 1024;
const MIN_FREE_SHARE = 0.25;

export interface Compaction {
  beforeBytes: number;
  /** Pages SQLite will hand back once the WAL is checkpointed (by Litestream under it, by the app alone). */
  afterBytes: number;
}

/**
 * VACUUM when a large part of the file is free pages (the images' BLOBs once moved to the media
 * store): on Cloud Run the file lives in RAM, and every cold start snapshots all of it.
 *
 * Why VACUUM is safe beside Litestream: it is one ordinary write transaction through the WAL (the
 * rebuilt pages, then a commit that records the smaller size); it checkpoints nothing itself, so
 * the rule that Litestream alone checkpoints holds (the app's connections have
 * wal_autocheckpoint=0 under it). Litestream ships those frames like any commit, and its next
 * checkpoint copies them into the file and truncates it to the committed size; a restore replays
 * them the same way. Its cost: a WAL (and shadow WAL) the size of the compacted file, and a
 * temporary copy of it in /tmp while it runs (RAM on Cloud Run) — small next to the BLOBs it drops.
 * Not `VACUUM INTO` + rename: Litestream must never see the file replaced under it.
 */
export async function compactIfMostlyFree(em: EntityManager): Promise<Compaction | null> {
  const connection = em.getConnection();
  const pragma = async (name: string) =>
    Number(Object.values((await connection.execute<Record<string, number>[]>(`pragma ${name}`))[0])[0]);
  const pageSize = await pragma('page_size');
  const pages = await pragma('page_count');
  const free = await pragma('freelist_count');
  if (free * pageSize < MIN_FREE_BYTES || free < pages * MIN_FREE_SHARE) return null;
  // Outside any transaction (VACUUM cannot run in one); waits for Litestream's checkpoint lock.
  await retryWhileBusy(() => connection.execute('vacuum'));
  return { beforeBytes: pages * pageSize, afterBytes: (await pragma('page_count')) * pageSize };
}
