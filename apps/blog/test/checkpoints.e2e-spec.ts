import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EntityManager } from '@mikro-orm/better-sqlite';

import { ADMIN_PASSWORD, killHard, startInstance } from './support/container.js';
import { HttpAdmin } from './support/http-admin.js';
import { freePort } from './support/process.js';
import { fastLitestreamConfig, inspectDatabase } from './support/rollout.js';
import { startTestApp } from './support/test-app.js';

/**
 * Exactly one connection checkpoints the WAL (DESIGN.md, SQLite rules): the app when it runs
 * alone, Litestream when it runs under Litestream. Checked by what SQLite itself records in the
 * WAL index, not by trusting the pragma alone.
 */

/** The WAL index at the head of the -shm file (native byte order: x64 here). */
function walIndex(databasePath: string): { mxFrame: number; nBackfill: number } {
  const head = readFileSync(`${databasePath}-shm`).subarray(0, 100);
  // WalIndexHdr.mxFrame: frames in the WAL now; WalCkptInfo.nBackfill: frames a checkpoint copied back.
  return { mxFrame: head.readUInt32LE(16), nBackfill: head.readUInt32LE(96) };
}

/** ~200 KB of distinct words: one post of it is ~100 WAL pages (Markdown, HTML, revision, search index). */
function bigMarkdown(seed: number): string {
  const words: string[] = [];
  let x = seed * 7919 + 1;
  for (let size = 0; size < 200_000;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const word = x.toString(36);
    words.push(word);
    size += word.length + 1;
  }
  return words.join(' ');
}

/** Writes big posts through `save`, watching the WAL: its largest size, and whether it was ever reset. */
async function writeWatchingWal(databasePath: string, posts: number, save: (i: number) => Promise<void>) {
  let largest = 0;
  let resets = 0;
  let previous = walIndex(databasePath).mxFrame;
  for (let i = 0; i < posts; i++) {
    await save(i);
    const { mxFrame } = walIndex(databasePath);
    if (mxFrame < previous) resets++;
    previous = mxFrame;
    largest = Math.max(largest, mxFrame);
  }
  return { largest, resets, last: walIndex(databasePath) };
}

describe('who checkpoints the WAL', () => {
  it('alone, the app checkpoints: SQLite default autocheckpoint, and the WAL is reset once past 1,000 pages', async () => {
    const t = await startTestApp();
    try {
      const rows = await t.app
        .get(EntityManager)
        .getConnection()
        .execute<{ wal_autocheckpoint: number }[]>('pragma wal_autocheckpoint');
      expect(rows[0]!.wal_autocheckpoint).toBe(1000);
      const wal = await writeWatchingWal(t.databasePath, 24, async (i) => {
        await t.createPost({ title: `Big ${i}`, markdown: bigMarkdown(i) });
      });
      expect(wal.resets).toBeGreaterThan(0);
      expect(wal.largest).toBeLessThan(1500);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('under Litestream (start.sh sets LITESTREAM_METRICS_URL), the app never checkpoints: the WAL only grows', async () => {
    // No Litestream binary here: this isolates the app's own connection.
    const t = await startTestApp({ LITESTREAM_METRICS_URL: 'http://127.0.0.1:9/metrics' });
    try {
      const rows = await t.app
        .get(EntityManager)
        .getConnection()
        .execute<{ wal_autocheckpoint: number }[]>('pragma wal_autocheckpoint');
      expect(rows[0]!.wal_autocheckpoint).toBe(0);
      const wal = await writeWatchingWal(t.databasePath, 24, async (i) => {
        await t.createPost({ title: `Big ${i}`, markdown: bigMarkdown(i) });
      });
      expect({ resets: wal.resets, nBackfill: wal.last.nBackfill }).toEqual({ resets: 0, nBackfill: 0 });
      expect(wal.largest).toBeGreaterThan(2000); // twice the threshold at which the app would have
    } finally {
      await t.close();
    }
  }, 120_000);

  describe('with the real Litestream binary in front (start.sh)', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'inkstone-checkpoints-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('Litestream checkpoints the WAL under a write load (its checkpoint counter moves, the WAL is reset)', async () => {
      const databasePath = join(dir, 'data', 'blog.db');
      const metricsPort = await freePort();
      const instance = await startInstance({
        databasePath,
        replicaUrl: `file://${join(dir, 'replica')}`,
        env: {
          LITESTREAM_CONFIG: fastLitestreamConfig(dir),
          LITESTREAM_ADDR: `127.0.0.1:${metricsPort}`,
          // The production bound: every save, before and after Litestream's checkpoints, must be
          // confirmed within it (they were all 'pending' after the first checkpoint once).
          REPLICATION_WAIT_MS: '5000',
        },
      });
      try {
        const checkpoints = async () => {
          const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return [...text.matchAll(/^litestream_checkpoint_count\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
        };
        const before = await checkpoints();
        const outcomes: string[] = [];
        const admin = new HttpAdmin(instance.base);
        await admin.login('admin', ADMIN_PASSWORD);
        const wal = await writeWatchingWal(databasePath, 24, async (i) => {
          const res = await admin.createPost(`Big ${i}`, bigMarkdown(i));
          expect(res.status).toBe(303);
          outcomes.push(/replication=(\w+)/.exec(res.location ?? '')?.[1] ?? '?');
        });
        const after = await checkpoints();
        console.log(
          `checkpoints: Litestream ran ${after - before} during 24 big saves; WAL reset ${wal.resets} times, ` +
            `largest ${wal.largest} frames; saves answered ${outcomes.join(' ')}`,
        );
        expect(after).toBeGreaterThan(before);
        expect(wal.resets).toBeGreaterThan(0);
        expect(outcomes).toEqual(outcomes.map(() => 'replicated'));
        // Bounded by Litestream's own thresholds (min 1,000 pages, PASSIVE), not left to grow.
        expect(wal.largest).toBeLessThan(2000);
        instance.child.kill('SIGTERM');
        expect(await instance.exited).toEqual({ code: 0, signal: null });
      } finally {
        killHard(instance);
      }
      const left = inspectDatabase(databasePath);
      expect(left.integrity).toBe('ok');
      expect(left.slugs.size).toBe(24);
    }, 180_000);
  });
});
