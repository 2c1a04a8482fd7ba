import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import request from 'supertest';

import { FAILURES_PER_CLIENT } from '@app/auth';

import { createApp } from '../src/app.setup.js';
import { resolveSecrets } from '../src/bootstrap/secrets.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { csrfFrom, loggedInAgent } from './support/admin-agent.js';
import { freePort, startMain } from './support/process.js';
import { ADMIN_PASSWORD, SITE_URL, startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

const setCookies = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A login form's seed cookie and token, reusable for many posts (as a script would). */
async function loginForm(server: TestApp['server']) {
  const form = await request(server).get('/admin/login').expect(200);
  return { cookie: setCookies(form).map((c) => c.split(';')[0]), csrf: csrfFrom(form.text) };
}

describe('auth hardening', () => {
  describe('brute force', () => {
    it(`lets ${FAILURES_PER_CLIENT} of 1,000 guesses from one client reach the password check, even sent 25 at a time`, async () => {
      const t = await startTestApp();
      try {
        await t.app.listen(await freePort(), '127.0.0.1');
        const { cookie, csrf } = await loginForm(t.server);
        const outcomes = new Map<number, number>();
        let sessions = 0;
        const guess = async (i: number) => {
          // The right password hidden among them: by then the client is blocked.
          const password = i === 500 ? ADMIN_PASSWORD : `guess-${i}`;
          const res = await request(t.server)
            .post('/admin/login')
            .set('Cookie', cookie)
            .type('form')
            .send({ _csrf: csrf, username: 'admin', password });
          outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
          if (setCookies(res).some((c) => c.startsWith('inkstone_session='))) sessions++;
        };
        for (let i = 0; i < 1_000; i += 25) await Promise.all(Array.from({ length: 25 }, (_, k) => guess(i + k)));
        process.stdout.write(`brute force, one client, 25 in parallel: ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
        expect(Object.fromEntries(outcomes)).toEqual({ 401: FAILURES_PER_CLIENT, 429: 1_000 - FAILURES_PER_CLIENT });
        expect(sessions).toBe(0);
      } finally {
        await t.close();
      }
    });

    it('caps 1,000 guesses from 1,000 different addresses, 25 at a time, at 100 an hour for everyone together', async () => {
      // Production trusts the proxy's X-Forwarded-For: each guess comes from a new address.
      const t = await startTestApp({ NODE_ENV: 'production' });
      try {
        await t.app.listen(await freePort(), '127.0.0.1');
        const { cookie, csrf } = await loginForm(t.server);
        const outcomes = new Map<number, number>();
        const guess = async (i: number) => {
          const res = await request(t.server)
            .post('/admin/login')
            .set('Cookie', cookie)
            .set('X-Forwarded-For', `198.51.${i >> 8}.${i & 255}`)
            .type('form')
            .send({ _csrf: csrf, username: 'admin', password: `guess-${i}` });
          outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
        };
        for (let i = 0; i < 1_000; i += 25) await Promise.all(Array.from({ length: 25 }, (_, k) => guess(i + k)));
        process.stdout.write(`brute force, 1,000 addresses, 25 in parallel: ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
        expect(Object.fromEntries(outcomes)).toEqual({ 401: 100, 429: 900 });
      } finally {
        await t.close();
      }
    });
  });

  it('takes as long for an unknown user as for a wrong password (median ratio of interleaved pairs within 0.8–1.25)', async () => {
    // Production: each attempt from its own address, so the per-client throttle stays out of the way
    // (2 × 45 attempts and the warm-up stay under the global 100).
    const t = await startTestApp({ NODE_ENV: 'production' });
    try {
      const { cookie, csrf } = await loginForm(t.server);
      let n = 0;
      const attempt = async (username: string) => {
        const started = process.hrtime.bigint();
        const res = await request(t.server)
          .post('/admin/login')
          .set('Cookie', cookie)
          .set('X-Forwarded-For', `203.0.113.${n++}`)
          .type('form')
          .send({ _csrf: csrf, username, password: 'not the password' });
        expect(res.status).toBe(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      // Warm both paths (the stand-in hash for unknown users is made on first use).
      await attempt('nobody');
      await attempt('admin');
      const wrongUser: number[] = [];
      const wrongPassword: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < 45; i++) {
        // Each pair is measured back to back, alternating which goes first, so both see the same
        // load on a shared machine; the median of the pairs' ratios ignores the pairs a burst hit.
        let user: number;
        let password: number;
        if (i % 2) {
          user = await attempt(`nobody-${i}`);
          password = await attempt('admin');
        } else {
          password = await attempt('admin');
          user = await attempt(`nobody-${i}`);
        }
        wrongUser.push(user);
        wrongPassword.push(password);
        ratios.push(user / password);
      }
      const ratio = median(ratios);
      process.stdout.write(
        `login timing: wrong user median ${median(wrongUser).toFixed(1)} ms, wrong password ${median(wrongPassword).toFixed(1)} ms, median ratio of 45 pairs ${ratio.toFixed(3)}\n`,
      );
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.25);
    } finally {
      await t.close();
    }
  });

  describe('sessions', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('never adopts a session cookie planted before login (fixation)', async () => {
      const { cookie, csrf } = await loginForm(t.server);
      // An attacker's cookie: a made-up value, and a real one from the attacker's own earlier login.
      const own = await loggedInAgent(t);
      const ownCookie = (await own.agent.get('/admin')).request.cookies as unknown as string;
      const ownSession = /inkstone_session=([^;]+)/.exec(ownCookie)![1];
      for (const planted of ['attacker-chosen-value', ownSession]) {
        const res = await request(t.server)
          .post('/admin/login')
          .set('Cookie', [...cookie, `inkstone_session=${planted}`])
          .type('form')
          .send({ _csrf: csrf, username: 'admin', password: ADMIN_PASSWORD })
          .expect(303);
        const issued = setCookies(res).find((c) => c.startsWith('inkstone_session='))!;
        const value = /^inkstone_session=([^;]+)/.exec(issued)![1];
        expect(value).not.toBe(planted);
        // The victim's new session is theirs alone: the planted one is no key to it.
        await request(t.server).get('/admin').set('Cookie', `inkstone_session=${value}`).expect(200);
        if (planted !== ownSession)
          await request(t.server).get('/admin').set('Cookie', `inkstone_session=${planted}`).expect(303);
      }
    });

    it('ends every session when the configured password is rotated (restart with a new secret)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'inkstone-rotate-'));
      const env = {
        DATABASE_PATH: join(dir, 'blog.db'),
        LOG_LEVEL: 'silent',
        DEMO_CONTENT: 'false',
        SITE_URL,
        SESSION_SECRET: 'test-session-secret-that-is-long-enough-for-prod',
      };
      try {
        const first = await createApp(loadConfig({ ...env, ADMIN_PASSWORD }));
        const { cookie, csrf } = await loginForm(first.getHttpServer());
        const login = await request(first.getHttpServer())
          .post('/admin/login')
          .set('Cookie', cookie)
          .type('form')
          .send({ _csrf: csrf, username: 'admin', password: ADMIN_PASSWORD })
          .expect(303);
        const session = setCookies(login)
          .find((c) => c.startsWith('inkstone_session='))!
          .split(';')[0];
        await request(first.getHttpServer()).get('/admin').set('Cookie', session).expect(200);
        await first.close();

        // Same password again: sessions survive a restart.
        const same = await createApp(loadConfig({ ...env, ADMIN_PASSWORD }));
        await request(same.getHttpServer()).get('/admin').set('Cookie', session).expect(200);
        await same.close();

        const rotated = await createApp(loadConfig({ ...env, ADMIN_PASSWORD: 'a brand new password 2' }));
        try {
          await request(rotated.getHttpServer()).get('/admin').set('Cookie', session).expect(303);
        } finally {
          await rotated.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('production refuses weak secrets', () => {
    const base = { NODE_ENV: 'production', DATABASE_PATH: ':memory:', SITE_URL: 'https://blog.example' };
    const problemsOf = async (env: Record<string, string>): Promise<string[]> => {
      try {
        await resolveSecrets(loadConfig({ ...base, ...env }));
        return [];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return err.problems;
      }
    };

    it('names each missing or short secret, and accepts strong ones', async () => {
      expect(await problemsOf({})).toEqual([
        'ADMIN_PASSWORD, ADMIN_PASSWORD_FILE or ADMIN_PASSWORD_SECRET is required in production.',
        'SESSION_SECRET, SESSION_SECRET_FILE or SESSION_SECRET_SECRET is required in production.',
      ]);
      expect(await problemsOf({ ADMIN_PASSWORD: 'short', SESSION_SECRET: 'x'.repeat(31) })).toEqual([
        'The admin password (ADMIN_PASSWORD*) must have at least 12 characters in production.',
        'SESSION_SECRET* must have at least 32 characters in production (try: openssl rand -base64 48).',
      ]);
      expect(await problemsOf({ ADMIN_PASSWORD: 'x'.repeat(12), SESSION_SECRET: 'x'.repeat(32) })).toEqual([]);
      // Whitespace is not a secret.
      expect(await problemsOf({ ADMIN_PASSWORD: '            ', SESSION_SECRET: ' '.repeat(40) })).toHaveLength(2);
    });

    it('the compiled app exits 1 with that message, no stack trace, on a short session secret', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'inkstone-weak-'));
      try {
        const app = startMain({
          ...base,
          DATABASE_PATH: join(dir, 'blog.db'),
          ADMIN_PASSWORD: 'long enough password',
          SESSION_SECRET: 'too-short',
        });
        expect((await app.exited).code).toBe(1);
        expect(app.output()).toContain('SESSION_SECRET* must have at least 32 characters in production');
        expect(app.output()).not.toMatch(/\n\s+at /);
        expect(app.output()).not.toContain('too-short');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
