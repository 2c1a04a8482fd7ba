import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { createApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/config.js';
import { LITESTREAM_BIN } from './support/container.js';
import { spawnCaptured } from './support/process.js';

/**
 * The first boot of a new blog races Litestream for the brand-new database file: Litestream
 * attaches as soon as the file exists (it polls every monitor-interval), switches it to WAL,
 * creates its tables and, at each checkpoint, takes the write lock and commits, while the app
 * switches the file to WAL and writes its first migrations, admin account and demo content.
 * SQLite answers two of those collisions with an immediate SQLITE_BUSY, busy timeout or not (see
 * src/database/first-boot.ts). Under start.sh that was about one first start in 20.
 *
 * Here one real Litestream watches BOOTS new database paths, polling, syncing and checkpointing
 * every millisecond, and the whole app boots on each path in turn: every first boot must succeed.
 * Before the fix 4 boots in 25 failed ("database is locked" in the demo content's first writes:
 * a transaction that read, then wrote while Litestream held the lock).
 */

const BOOTS = Number(process.env.FIRST_BOOTS ?? 25);

describe('the first boot of a new blog beside Litestream', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-first-boot-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`boots on a brand-new file while Litestream attaches to it (${BOOTS} boots)`, async () => {
    const paths = Array.from({ length: BOOTS }, (_, i) => join(dir, `blog-${i}`, 'blog.db'));
    for (const path of paths) mkdirSync(join(path, '..'), { recursive: true });
    const config = join(dir, 'litestream.yml');
    writeFileSync(
      config,
      'dbs:\n' +
        paths
          .map(
            (path, i) =>
              `  - path: ${path}\n    monitor-interval: 1ms\n    checkpoint-interval: 1ms\n    replicas:\n` +
              `      - url: file://${join(dir, 'replica', String(i))}\n        sync-interval: 1ms\n`,
          )
          .join(''),
    );
    const litestream = spawnCaptured(LITESTREAM_BIN, ['replicate', '-config', config], {});
    const failures: string[] = [];
    try {
      await new Promise((r) => setTimeout(r, 500)); // Litestream is up and polling for the files
      expect(litestream.child.exitCode).toBeNull();
      for (const path of paths) {
        try {
          const app = await createApp(
            loadConfig({
              DATABASE_PATH: path,
              LOG_LEVEL: 'silent',
              DEMO_CONTENT: 'true',
              SITE_URL: 'http://blog.test',
              ADMIN_PASSWORD: 'first boot admin password',
              SESSION_SECRET: 'a-session-secret-for-the-first-boot-test-0123456789',
            }),
          );
          await app.close();
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message}`);
        }
      }
      // Litestream really was attached to every file (it adds its bookkeeping table).
      for (const path of paths) {
        const db = new Database(path, { readonly: true });
        try {
          expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
          expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = '_litestream_seq'`).get()).toEqual({ n: 1 });
        } finally {
          db.close();
        }
      }
    } finally {
      litestream.child.kill('SIGTERM');
      await litestream.exited;
    }
    console.log(`first boot: ${BOOTS} boots beside Litestream polling every 1 ms, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 180_000);
});
