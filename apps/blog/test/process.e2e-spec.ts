import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, startMain, waitForHttp } from './support/process.js';

// Each case spawns the compiled app (a cold start of ~1 s idle, several times that on a loaded 2-core machine) and waits for it to exit.
jest.setTimeout(60_000);

describe('the compiled app as a process', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-process-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops at once with a clear message, not a stack trace, on bad configuration', async () => {
    const app = startMain({ PORT: 'eighty', SITE_URL: 'nope', DATABASE_PATH: join(dir, 'blog.db') });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toContain('PORT must be a whole number');
    expect(app.output()).toContain('SITE_URL must be an absolute');
    expect(app.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses to boot in production without secrets', async () => {
    const app = startMain({ NODE_ENV: 'production', DATABASE_PATH: join(dir, 'blog.db') });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toMatch(/ADMIN_PASSWORD.*required in production/);
  });

  it('migrates a new file, serves the demo blog, prints its URL and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const app = startMain({ PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'data', 'blog.db') });
    try {
      const res = await waitForHttp(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Welcome to Inkstone');
      expect(app.output()).toContain(`listening on http://localhost:${port}`);
      app.child.kill('SIGTERM');
      expect(await app.exited).toEqual({ code: 0, signal: null });
      expect(app.output()).toContain('Database closed');
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it('logs JSON lines for Cloud Logging in production', async () => {
    const port = await freePort();
    const app = startMain({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'blog.db'),
      ADMIN_PASSWORD: 'a-long-enough-password',
      SESSION_SECRET: 'x'.repeat(48),
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      await fetch(`http://127.0.0.1:${port}/nope`);
      app.child.kill('SIGTERM');
      await app.exited;
      const lines = app
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { severity: string; message: string; httpRequest?: { status: number; requestUrl: string } });
      expect(
        lines.every((l) => ['DEBUG', 'INFO', 'WARNING', 'ERROR'].includes(l.severity) && typeof l.message === 'string'),
      ).toBe(true);
      expect(lines).toContainEqual(
        expect.objectContaining({
          severity: 'WARNING',
          httpRequest: expect.objectContaining({ status: 404, requestUrl: '/nope' }),
        }),
      );
      expect(app.output()).not.toContain('a-long-enough-password');
    } finally {
      app.child.kill('SIGKILL');
    }
  }, 60_000);
});
