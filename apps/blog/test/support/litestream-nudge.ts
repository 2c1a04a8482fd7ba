import type { Database } from 'better-sqlite3';

import { LITESTREAM_NUDGE_SQL } from '../../src/durability/litestream-nudge.js';

/**
 * Waits until `check` holds, nudging Litestream every 2 s as the app does while a save waits:
 * Litestream 0.3.13 can leave a lone commit unshipped until the next write (litestream-nudge.ts).
 */
export async function waitNudging(what: string, db: Database, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let nextNudge = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (Date.now() >= nextNudge) {
      db.exec(LITESTREAM_NUDGE_SQL);
      nextNudge = Date.now() + 2000;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
