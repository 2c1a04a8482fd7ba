import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { ADDON_HEADERS, prepareImageRuntime } from './support/node24.js';
import { freePort, spawnCaptured, waitForHttp } from './support/process.js';
import { MIN_SQLITE, versionAtLeast } from './support/sqlite-version.js';

/**
 * CI runs on this machine's Node; the image runs Node 24. This boots the very bundle on the
 * latest Node 24 with better-sqlite3 compiled as the Dockerfile compiles it, serves pages until
 * the garbage collector has finalized many statements (where better-sqlite3 aborted when built
 * against Node >= 24.19 headers), and checks a clean exit.
 */
describe(`the bundle on the image's Node 24 (better-sqlite3 built against ${ADDON_HEADERS} headers)`, () => {
  let runtime: ReturnType<typeof prepareImageRuntime>;

  beforeAll(() => {
    runtime = prepareImageRuntime();
  }, 300_000);

  it('runs the latest Node 24', () => {
    expect(execFileSync(runtime.node, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  });

  it(`runs SQLite >= ${MIN_SQLITE} (the WAL-reset fix) through the addon the app loads there`, () => {
    const version = execFileSync(
      runtime.node,
      ['-e', "process.stdout.write(new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version() v').get().v)"],
      { cwd: runtime.appDir, encoding: 'utf8' },
    );
    expect({ version, fixed: versionAtLeast(version, MIN_SQLITE) }).toEqual({ version, fixed: true });
  });

  it('serves the blog through many statements and exits 0 on SIGTERM, three times', async () => {
    for (let round = 0; round < 3; round++) {
      const port = await freePort();
      const app = spawnCaptured(runtime.node, [join(runtime.appDir, 'dist', 'server', 'main.mjs')], {
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        SITE_URL: `http://127.0.0.1:${port}`,
        DATABASE_PATH: join(runtime.appDir, `blog-${round}.db`),
        ADMIN_PASSWORD: 'a-long-enough-password',
        SESSION_SECRET: 'x'.repeat(48),
        LOG_LEVEL: 'warn',
      });
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/healthz`, 30_000);
      const unexpected: { path: string; status: number; expected: number }[] = [];
      const statuses: Record<number, number> = {};
      for (let i = 0; i < 300; i++) {
        // Distinct URLs: every request misses the page cache and runs its queries.
        const requests: [string, number][] = [
          [`/?page=1&r=${i}`, 200],
          [`/search?q=welcome${i % 7}`, 200],
          [`/posts/welcome-to-inkstone?r=${i}`, 200],
          [`/nope-${i}`, 404],
        ];
        for (const [path, expected] of requests) {
          const res = await fetch(`${base}${path}`);
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status !== expected) unexpected.push({ path, status: res.status, expected });
        }
      }
      // Every answer as the machine's Node gives it: a crash would show as a 500, not pass unseen.
      expect(unexpected.slice(0, 5)).toEqual([]);
      expect(statuses).toEqual({ 200: 900, 404: 300 });
      app.child.kill('SIGTERM');
      const { code, signal } = await app.exited;
      expect(app.output()).not.toContain('Assertion failed');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
