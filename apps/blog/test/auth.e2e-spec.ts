import { jest } from '@jest/globals';
import request from 'supertest';

import { AuthService, FAILURES_PER_CLIENT } from '@app/auth';

import { csrfFrom, loggedInAgent } from './support/admin-agent.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/test-app.js';

// Every login hashes with argon2 (64 MiB, ~0.2 s idle); the throttle case logs in a dozen times.
jest.setTimeout(30_000);

const cookieNamed = (res: request.Response, name: string) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));

describe('admin authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function loginForm() {
    const agent = request.agent(t.server);
    const form = await agent.get('/admin/login').expect(200);
    return { agent, csrf: csrfFrom(form.text), form };
  }

  it('redirects an anonymous visitor to the login form, keeping where they were going', async () => {
    await request(t.server)
      .get('/admin/posts?status=draft')
      .expect(303)
      .expect('Location', '/admin/login?next=%2Fadmin%2Fposts%3Fstatus%3Ddraft');
  });

  it('logs in with the right password and sets a hardened session cookie', async () => {
    const { agent, csrf } = await loginForm();
    const res = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrf, username: 'admin', password: ADMIN_PASSWORD, next: '/admin/posts' })
      .expect(303)
      .expect('Location', '/admin/posts');
    const cookie = cookieNamed(res, 'inkstone_session')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=\d+/);
    await agent.get('/admin/posts').expect(200).expect('Cache-Control', 'no-store');
  });

  it('refuses a wrong password or an unknown user with 401 and sets no session', async () => {
    for (const [username, password] of [
      ['admin', 'wrong password'],
      ['nobody', ADMIN_PASSWORD],
      ['', ''],
    ]) {
      const { agent, csrf } = await loginForm();
      const res = await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: csrf, username, password })
        .set('X-Forwarded-For', username)
        .expect(401);
      expect(res.text).toContain('Wrong username or password.');
      expect(cookieNamed(res, 'inkstone_session')).toBeUndefined();
    }
  });

  it('only follows same-site admin paths after login', async () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example/admin',
      '/\\evil.example',
      '/admin\r\nSet-Cookie: x=1',
      '/posts/x',
      'javascript:alert(1)',
    ]) {
      const { agent, csrf } = await loginForm();
      await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: csrf, username: 'admin', password: ADMIN_PASSWORD, next })
        .expect(303)
        .expect('Location', '/admin');
    }
  });

  it('refuses a login without a valid CSRF token with 403', async () => {
    const { agent } = await loginForm();
    await agent.post('/admin/login').type('form').send({ username: 'admin', password: ADMIN_PASSWORD }).expect(403);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: 'forged', username: 'admin', password: ADMIN_PASSWORD })
      .expect(403);
    // A token from another browser's seed is worthless too.
    const other = await loginForm();
    await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: other.csrf, username: 'admin', password: ADMIN_PASSWORD })
      .expect(403);
  });

  it('issues a new session and CSRF seed at every login (no fixation)', async () => {
    const { agent, csrf, form } = await loginForm();
    const seedBefore = cookieNamed(form, 'inkstone_csrf');
    const res = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrf, username: 'admin', password: ADMIN_PASSWORD })
      .expect(303);
    const seedAfter = cookieNamed(res, 'inkstone_csrf');
    expect(seedAfter).toBeDefined();
    expect(seedAfter).not.toEqual(seedBefore);
    // The token from before login no longer passes.
    await agent.post('/admin/posts/new').type('form').send({ _csrf: csrf, title: 'x', markdown: 'x' }).expect(403);
    const second = await loggedInAgent(t);
    const dashboard = await second.agent.get('/admin').expect(200);
    expect(csrfFrom(dashboard.text)).not.toEqual(csrf);
  });

  it('expires sessions after their lifetime', async () => {
    const { agent } = await loggedInAgent(t);
    const auth = t.app.get(AuthService);
    const spy = jest.spyOn(auth, 'now').mockReturnValue(Date.now() + 8 * 24 * 3_600_000);
    try {
      await agent.get('/admin').expect(303);
    } finally {
      spy.mockRestore();
    }
    await agent.get('/admin').expect(200);
  });

  it('logout ends the session server-side: the old cookie stops working', async () => {
    const { agent, csrf } = await loggedInAgent(t);
    const stolen = (await agent.get('/admin').expect(200)).request.cookies;
    await agent
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: csrf })
      .expect(303)
      .expect('Location', '/admin/login?notice=logged-out');
    await agent.get('/admin').expect(303);
    // Replaying the cookie as it was before logout, as a thief would.
    await request(t.server).get('/admin').set('Cookie', stolen).expect(303);
  });

  it('rejects tampered and foreign session cookies', async () => {
    const { agent } = await loggedInAgent(t);
    const cookie = (await agent.get('/admin')).request.cookies as unknown as string;
    const value = /inkstone_session=([^;]+)/.exec(cookie)![1];
    const [body, mac] = value.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), exp: Date.now() + 1e12 }),
    ).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${body}.${mac}x`, 'garbage', `${body}`, '.'.repeat(5)]) {
      await request(t.server).get('/admin').set('Cookie', `inkstone_session=${bad}`).expect(303);
    }
  });

  it(`throttles a client after ${FAILURES_PER_CLIENT} failures with 429 and Retry-After, even for the right password`, async () => {
    const client = '203.0.113.7';
    // Trust proxy is off locally, so the throttle keys on the socket address: use a fresh app.
    const fresh = await startTestApp();
    try {
      const attempt = async (password: string) => {
        const agent = request.agent(fresh.server);
        const csrf = csrfFrom((await agent.get('/admin/login')).text);
        return agent
          .post('/admin/login')
          .type('form')
          .set('X-Forwarded-For', client)
          .send({ _csrf: csrf, username: 'admin', password });
      };
      for (let i = 0; i < FAILURES_PER_CLIENT; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
      const blocked = await attempt('wrong-again');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      const right = await attempt(ADMIN_PASSWORD);
      expect(right.status).toBe(429);
      expect(cookieNamed(right, 'inkstone_session')).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});
