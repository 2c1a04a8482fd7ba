import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { ADDON_HEADERS, prepareImageRuntime } from './support/node24.js';
import { freePort, spawnCaptured, waitForHttp } from './support/process.js';

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
      for (let i = 0; i < 300; i++) {
        // Distinct URLs: every request misses the page cache and runs its queries.
        for (const path of [`/?page=1&r=${i}`, `/search?q=welcome${i % 7}`, `/posts/welcome-to-inkstone?r=${i}`, `/nope-${i}`]) {
          const res = await fetch(`${base}${path}`);
          await res.arrayBuffer();
        }
      }
      app.child.kill('SIGTERM');
      const { code, signal } = await app.exited;
      expect(app.output()).not.toContain('Assertion failed');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
