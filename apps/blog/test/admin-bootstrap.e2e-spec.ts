import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EntityManager } from '@mikro-orm/better-sqlite';
import request from 'supertest';

import { User } from '@app/auth';

// The stand-in is test tooling of the auth lib, deliberately not part of its public index.
// eslint-disable-next-line no-restricted-imports
import { type SecretManagerStandIn, startSecretManagerStandIn } from '../../../libs/auth/src/testing/secret-manager-stand-in.js';
import { createApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/config.js';
import { cookieHeader, tryLogin, tryLoginOverHttp, waitForOutput } from './support/bootstrap-login.js';
import { freePort, type RunningProcess, startMain, waitForHttp } from './support/process.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/test-app.js';

// In-process cases start an app and hash passwords (2–4 s here idle); the process cases set their own, longer.
jest.setTimeout(30_000);

// A spawned app: cold start, migrations and an argon2 hash, several times slower on a loaded 2-core machine.
const PROCESS_TIMEOUT = 60_000;
const GENERATED = /password: ([a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5})\b/;
const LONG_SESSION_SECRET = 'a-session-secret-that-is-long-enough-for-production';

/** Whether a cookie jar opens the admin dashboard (200) or is sent to the login form. */
async function opensAdmin(t: TestApp, cookies: Record<string, string>): Promise<boolean> {
  const res = await request(t.server).get('/admin').set('Cookie', cookieHeader(cookies));
  if (res.status === 200) return true;
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/admin/login?next=%2Fadmin');
  return false;
}

describe('the admin account from each password source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-bootstrap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('ADMIN_PASSWORD (literal)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ ADMIN_PASSWORD: 'literal-password-123' });
    });
    afterAll(() => t.close());

    it('logs in with it: 303 to next, and the session opens the admin', async () => {
      const ok = await tryLogin(t.server, 'literal-password-123', 'admin', '/admin/posts');
      expect(ok).toMatchObject({ status: 303, location: '/admin/posts' });
      expect(ok.cookies.inkstone_session).toBeTruthy();
      expect(await opensAdmin(t, ok.cookies)).toBe(true);
    });

    it('refuses a wrong password, a near miss and a wrong username with 401 and no session', async () => {
      for (const [password, username] of [
        ['wrong-password', 'admin'],
        ['literal-password-12', 'admin'],
        ['literal-password-123 ', 'admin'],
        ['literal-password-123', 'root'],
      ]) {
        const res = await tryLogin(t.server, password, username);
        expect({ password, username, status: res.status }).toEqual({ password, username, status: 401 });
        expect(res.cookies.inkstone_session).toBeUndefined();
        expect(await opensAdmin(t, res.cookies)).toBe(false);
      }
    });
  });

  describe('ADMIN_PASSWORD_FILE (a mounted file)', () => {
    it('reads the password from the file, without its trailing newline', async () => {
      const file = join(dir, 'admin-password');
      writeFileSync(file, 'password-from-a-file\n');
      const t = await startTestApp({ ADMIN_PASSWORD: '', ADMIN_PASSWORD_FILE: file });
      try {
        expect(await tryLogin(t.server, 'password-from-a-file')).toMatchObject({ status: 303, location: '/admin' });
        expect((await tryLogin(t.server, 'password-from-a-file\n')).status).toBe(401);
        expect((await tryLogin(t.server, ADMIN_PASSWORD)).status).toBe(401);
      } finally {
        await t.close();
      }
    });
  });

  describe('ADMIN_PASSWORD_SECRET (Secret Manager, through the real client)', () => {
    let standIn: SecretManagerStandIn;
    let savedHost: string | undefined;

    beforeAll(async () => {
      standIn = await startSecretManagerStandIn({
        'projects/p/secrets/admin': ['version-one-password', 'version-two-password', 'latest-secret-password\n'],
        'projects/p/secrets/session': ['an-old-session-secret-that-is-long-enough-too', LONG_SESSION_SECRET],
      });
      savedHost = process.env.SECRET_MANAGER_EMULATOR_HOST;
      process.env.SECRET_MANAGER_EMULATOR_HOST = `127.0.0.1:${standIn.port}`;
    });
    afterAll(async () => {
      if (savedHost === undefined) delete process.env.SECRET_MANAGER_EMULATOR_HOST;
      else process.env.SECRET_MANAGER_EMULATOR_HOST = savedHost;
      await standIn.stop();
    });
    beforeEach(() => {
      standIn.calls.length = 0;
    });

    it('reads projects/p/secrets/admin as /versions/latest, and logs in with its (trimmed) value', async () => {
      const t = await startTestApp({ ADMIN_PASSWORD: '', ADMIN_PASSWORD_SECRET: 'projects/p/secrets/admin' });
      try {
        expect(standIn.calls).toEqual(['projects/p/secrets/admin/versions/latest']);
        expect(await tryLogin(t.server, 'latest-secret-password')).toMatchObject({ status: 303, location: '/admin' });
        expect((await tryLogin(t.server, 'version-two-password')).status).toBe(401);
      } finally {
        await t.close();
      }
    });

    it('asks for the exact version named, for the password and the session secret alike', async () => {
      const t = await startTestApp({
        ADMIN_PASSWORD: '',
        ADMIN_PASSWORD_SECRET: 'projects/p/secrets/admin/versions/2',
        SESSION_SECRET: '',
        SESSION_SECRET_SECRET: 'projects/p/secrets/session/versions/2',
      });
      try {
        expect([...standIn.calls].sort()).toEqual([
          'projects/p/secrets/admin/versions/2',
          'projects/p/secrets/session/versions/2',
        ]);
        const ok = await tryLogin(t.server, 'version-two-password');
        expect(ok).toMatchObject({ status: 303, location: '/admin' });
        expect(await opensAdmin(t, ok.cookies)).toBe(true);
        expect((await tryLogin(t.server, 'latest-secret-password')).status).toBe(401);
      } finally {
        await t.close();
      }
    });

    it('refuses to boot when the secret does not exist, naming it and never a value', async () => {
      const config = loadConfig({
        DATABASE_PATH: join(dir, 'blog.db'),
        LOG_LEVEL: 'silent',
        DEMO_CONTENT: 'false',
        SESSION_SECRET: LONG_SESSION_SECRET,
        ADMIN_PASSWORD_SECRET: 'projects/p/secrets/missing',
      });
      const error = await createApp(config).then(
        (app) => app.close().then(() => new Error('booted')),
        (e: unknown) => e as Error,
      );
      expect(error.name).toBe('SecretError');
      expect(error.message).toContain('projects/p/secrets/missing/versions/latest');
      expect(error.message).toContain('NOT_FOUND');
      expect(error.message).not.toMatch(/latest-secret-password|version-two-password/);
      expect(standIn.calls).toEqual(['projects/p/secrets/missing/versions/latest']);
    });
  });

  describe('rotation: a new configured password on the same database', () => {
    it('replaces the old password and ends the sessions it opened; a plain restart does not', async () => {
      const env = { DATABASE_PATH: join(dir, 'blog.db') };

      const first = await startTestApp({ ...env, ADMIN_PASSWORD: 'first-password-123' });
      let session: Record<string, string>;
      try {
        const login = await tryLogin(first.server, 'first-password-123');
        expect(login.status).toBe(303);
        session = login.cookies;
        expect(await opensAdmin(first, session)).toBe(true);
      } finally {
        await first.close();
      }

      const restarted = await startTestApp({ ...env, ADMIN_PASSWORD: 'first-password-123' });
      try {
        expect(await opensAdmin(restarted, session)).toBe(true);
      } finally {
        await restarted.close();
      }

      const rotated = await startTestApp({ ...env, ADMIN_PASSWORD: 'second-password-456' });
      try {
        expect(await opensAdmin(rotated, session)).toBe(false);
        expect((await tryLogin(rotated.server, 'first-password-123')).status).toBe(401);
        const login = await tryLogin(rotated.server, 'second-password-456');
        expect(login).toMatchObject({ status: 303, location: '/admin' });
        expect(await opensAdmin(rotated, login.cookies)).toBe(true);
        const users = await rotated.run(() => rotated.app.get(EntityManager).count(User, {}));
        expect(users).toBe(1);
      } finally {
        await rotated.close();
      }
    });
  });

  describe('no password configured (local)', () => {
    it('creates the account with a generated password, so the usual one does not work', async () => {
      const t = await startTestApp({ ADMIN_PASSWORD: '' });
      try {
        const admins = await t.run(() => t.app.get(EntityManager).find(User, {}));
        expect(admins.map((u) => u.username)).toEqual(['admin']);
        expect((await tryLogin(t.server, ADMIN_PASSWORD)).status).toBe(401);
        expect((await tryLogin(t.server, '')).status).toBe(401);
      } finally {
        await t.close();
      }
    });

    it(
      'prints the generated password once; it logs in over HTTP; a second start prints none and keeps it',
      async () => {
        const databasePath = join(dir, 'data', 'blog.db');
        const boot = async (): Promise<{ app: RunningProcess; base: string }> => {
          const port = await freePort();
          const app = startMain({ PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, DEMO_CONTENT: 'false' });
          const base = `http://127.0.0.1:${port}`;
          await waitForHttp(`${base}/healthz`);
          await waitForOutput(app.output, /listening on/);
          return { app, base };
        };
        const stop = async (app: RunningProcess) => {
          app.child.kill('SIGTERM');
          expect(await app.exited).toEqual({ code: 0, signal: null });
        };

        const first = await boot();
        let password: string;
        let session: Record<string, string>;
        try {
          password = (await waitForOutput(first.app.output, GENERATED))[1];
          expect(first.app.output().match(new RegExp(GENERATED.source, 'g'))).toHaveLength(1);
          expect(first.app.output().split(password)).toHaveLength(2); // printed exactly once
          const ok = await tryLoginOverHttp(first.base, password);
          expect(ok).toMatchObject({ status: 303, location: '/admin' });
          const dashboard = await fetch(`${first.base}/admin`, {
            headers: { Cookie: cookieHeader(ok.cookies) },
            redirect: 'manual',
          });
          expect(dashboard.status).toBe(200);
          session = ok.cookies;
          expect((await tryLoginOverHttp(first.base, 'not-the-generated-one')).status).toBe(401);
          await stop(first.app);
        } finally {
          first.app.child.kill('SIGKILL');
        }

        const second = await boot();
        try {
          expect(second.app.output()).not.toMatch(/password:/);
          expect(second.app.output()).not.toContain(password);
          expect(await tryLoginOverHttp(second.base, password)).toMatchObject({ status: 303, location: '/admin' });
          // Nothing rotated: the session from the first run still opens the admin (the local session secret was kept).
          const dashboard = await fetch(`${second.base}/admin`, {
            headers: { Cookie: cookieHeader(session) },
            redirect: 'manual',
          });
          expect(dashboard.status).toBe(200);
          await stop(second.app);
        } finally {
          second.app.child.kill('SIGKILL');
        }
      },
      PROCESS_TIMEOUT,
    );
  });

  describe('refusing to boot', () => {
    const refuses = async (env: Record<string, string>) => {
      const app = startMain({ DATABASE_PATH: join(dir, 'blog.db'), HOST: '127.0.0.1', PORT: String(await freePort()), ...env });
      const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000);
      const exit = await app.exited;
      clearTimeout(timer);
      return { ...exit, output: app.output() };
    };

    it(
      'refuses a production password under 12 characters, naming the variable and not the value',
      async () => {
        const res = await refuses({ NODE_ENV: 'production', ADMIN_PASSWORD: 'short-pw-11', SESSION_SECRET: LONG_SESSION_SECRET });
        expect(res.code).toBe(1);
        expect(res.output).toContain('ADMIN_PASSWORD');
        expect(res.output).toMatch(/at least 12 characters/);
        expect(res.output).not.toContain('short-pw-11');
        expect(res.output).not.toContain(LONG_SESSION_SECRET);
        expect(res.output).not.toMatch(/\n\s+at /);
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses a production password from a file under 12 characters the same way',
      async () => {
        const file = join(dir, 'short-password');
        writeFileSync(file, 'tiny-secret\n');
        const res = await refuses({ NODE_ENV: 'production', ADMIN_PASSWORD_FILE: file, SESSION_SECRET: LONG_SESSION_SECRET });
        expect(res.code).toBe(1);
        expect(res.output).toContain('ADMIN_PASSWORD');
        expect(res.output).not.toContain('tiny-secret');
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses a production session secret under 32 characters, naming the variable and not the value',
      async () => {
        const secret = 'a-31-character-session-secret!!';
        expect(secret).toHaveLength(31);
        const res = await refuses({ NODE_ENV: 'production', ADMIN_PASSWORD: 'a-long-enough-password', SESSION_SECRET: secret });
        expect(res.code).toBe(1);
        expect(res.output).toContain('SESSION_SECRET');
        expect(res.output).toMatch(/at least 32 characters/);
        expect(res.output).not.toContain(secret);
        expect(res.output).not.toContain('a-long-enough-password');
        expect(res.output).not.toMatch(/\n\s+at /);
      },
      PROCESS_TIMEOUT,
    );

    it(
      'boots in production with exactly 12 and 32 characters',
      async () => {
        const port = await freePort();
        const app = startMain({
          NODE_ENV: 'production',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_PATH: join(dir, 'blog.db'),
          ADMIN_PASSWORD: 'twelve-chars',
          SESSION_SECRET: 's'.repeat(32),
        });
        try {
          expect((await waitForHttp(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
          expect(app.output()).not.toContain('twelve-chars');
          app.child.kill('SIGTERM');
          expect((await app.exited).code).toBe(0);
        } finally {
          app.child.kill('SIGKILL');
        }
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses to boot when a secret file is missing, naming the path',
      async () => {
        const missing = join(dir, 'no-such-dir', 'admin-password');
        const res = await refuses({ ADMIN_PASSWORD_FILE: missing });
        expect(res.code).toBe(1);
        expect(res.output).toContain(`Cannot read secret file ${missing}`);
        expect(res.output).toContain('ENOENT');
        expect(res.output).not.toMatch(/\n\s+at /);

        const missingSession = join(dir, 'session-secret');
        const prod = await refuses({
          NODE_ENV: 'production',
          ADMIN_PASSWORD: 'a-long-enough-password',
          SESSION_SECRET_FILE: missingSession,
        });
        expect(prod.code).toBe(1);
        expect(prod.output).toContain(missingSession);
        expect(prod.output).not.toContain('a-long-enough-password');
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses to boot when the Secret Manager secret is missing, naming it (the real client in the process)',
      async () => {
        const standIn = await startSecretManagerStandIn({});
        try {
          const res = await refuses({
            ADMIN_PASSWORD_SECRET: 'projects/p/secrets/nope',
            SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${standIn.port}`,
          });
          expect(res.code).toBe(1);
          expect(res.output).toContain('projects/p/secrets/nope/versions/latest');
          expect(res.output).toContain('NOT_FOUND');
          expect(res.output).not.toMatch(/\n\s+at /);
          expect(standIn.calls).toEqual(['projects/p/secrets/nope/versions/latest']);
        } finally {
          await standIn.stop();
        }
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses to boot when access to the secret is denied, naming the secret and the role, never its value',
      async () => {
        const standIn = await startSecretManagerStandIn({ 'projects/p/secrets/admin': ['denied-secret-password'] });
        standIn.denyAccess('projects/p/secrets/admin');
        try {
          const res = await refuses({
            ADMIN_PASSWORD_SECRET: 'projects/p/secrets/admin',
            SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${standIn.port}`,
          });
          expect(res.code).toBe(1);
          expect(res.output).toContain('Cannot read Secret Manager secret projects/p/secrets/admin/versions/latest');
          expect(res.output).toContain('PERMISSION_DENIED');
          expect(res.output).toContain('roles/secretmanager.secretAccessor');
          expect(res.output).not.toContain('denied-secret-password');
          expect(res.output).not.toMatch(/\n\s+at /);
        } finally {
          await standIn.stop();
        }
      },
      PROCESS_TIMEOUT,
    );

    it(
      'refuses to boot when the newest version is disabled (latest never falls back), saying what to do',
      async () => {
        const admin = 'projects/p/secrets/admin';
        const standIn = await startSecretManagerStandIn({ [admin]: ['older-enabled-password', 'disabled-newest-password'] });
        standIn.setState(admin, 2, 'DISABLED');
        try {
          const res = await refuses({ ADMIN_PASSWORD_SECRET: admin, SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${standIn.port}` });
          expect(res.code).toBe(1);
          expect(res.output).toContain(`Secret Version [${admin}/versions/2] is in DISABLED state.`);
          expect(res.output).toContain('enable it, add a new version, or name an enabled version');
          expect(res.output).not.toMatch(/older-enabled-password|disabled-newest-password/);
          expect(res.output).not.toMatch(/\n\s+at /);
        } finally {
          await standIn.stop();
        }
      },
      PROCESS_TIMEOUT,
    );
  });
});
