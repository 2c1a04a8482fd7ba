import { existsSync, linkSync, unlinkSync } from 'node:fs';

import Database from 'better-sqlite3';

/**
 * The first boot of a new blog shares a brand-new file with Litestream, which attaches as soon as
 * the file exists: it switches it to WAL, creates its own tables and, at every checkpoint, holds
 * the write lock and commits. Two things then fail at once with SQLITE_BUSY, busy timeout or not:
 * - two connections switching one rollback-journal file to WAL together (a lock deadlock);
 * - a deferred transaction that has read and then wants to write while Litestream holds the write
 *   lock or has committed since (SQLite does not wait there: it would deadlock or read stale data).
 *   Transactions now begin IMMEDIATE (immediate-transactions.ts), which prevents this one; the
 *   retry stays for the first, and for a lock held past busy_timeout.
 * (Measured: ~1 first start in 20 under start.sh; 4 in 25 with Litestream checkpointing every 1 ms.)
 */

/**
 * Creates the database file already in WAL mode, under another name, and links it into place:
 * Litestream never sees a file that still has to be switched to WAL. No-op if the file exists.
 */
export function createDatabaseFile(path: string): void {
  if (path === ':memory:' || existsSync(path)) return;
  const staging = `${path}.new-${process.pid}`;
  const db = new Database(staging);
  try {
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  try {
    linkSync(staging, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // someone else created it: use theirs
  } finally {
    unlinkSync(staging);
  }
}

const ATTEMPTS = 8;

/**
 * Runs an all-or-nothing database step again when it met Litestream's locks (SQLITE_BUSY), with a
 * growing pause (~5 s in all). Only for steps that are safe to repeat: a transaction that failed
 * with SQLITE_BUSY wrote nothing.
 */
export async function retryWhileBusy<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isBusy(err) || attempt === ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 150 * attempt));
    }
  }
}

export function isBusy(err: unknown): boolean {
  return /SQLITE_BUSY|database is locked/.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message ?? ''}`);
}
