import request from 'supertest';

import { csrfFrom } from './admin-agent.js';

/** `name=value` pairs from Set-Cookie headers, ready for a Cookie header. */
export function cookiePairs(setCookie: string[] | string | undefined): Record<string, string> {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const pairs: Record<string, string> = {};
  for (const line of list) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    pairs[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return pairs;
}

export const cookieHeader = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

export interface LoginAttempt {
  status: number;
  location: string | undefined;
  /** Every cookie the browser holds after the attempt (CSRF seed, and the session on success). */
  cookies: Record<string, string>;
}

type Server = Parameters<typeof request>[0];

/** Logs in the way the browser form does (username, password, _csrf, next) over supertest. */
export async function tryLogin(server: Server, password: string, username = 'admin', next = '/admin'): Promise<LoginAttempt> {
  const form = await request(server).get('/admin/login').expect(200);
  const cookies = cookiePairs(form.headers['set-cookie']);
  const res = await request(server)
    .post('/admin/login')
    .set('Cookie', cookieHeader(cookies))
    .type('form')
    .send({ _csrf: csrfFrom(form.text), username, password, next });
  return {
    status: res.status,
    location: res.headers.location as string | undefined,
    cookies: { ...cookies, ...cookiePairs(res.headers['set-cookie']) },
  };
}

/** The same login form, over fetch, against a running process. */
export async function tryLoginOverHttp(baseUrl: string, password: string, username = 'admin'): Promise<LoginAttempt> {
  const form = await fetch(`${baseUrl}/admin/login`);
  if (form.status !== 200) throw new Error(`GET /admin/login answered ${form.status}`);
  const cookies = cookiePairs(form.headers.getSetCookie());
  const res = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookieHeader(cookies), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfFrom(await form.text()), username, password, next: '/admin' }).toString(),
  });
  await res.arrayBuffer();
  return {
    status: res.status,
    location: res.headers.get('location') ?? undefined,
    cookies: { ...cookies, ...cookiePairs(res.headers.getSetCookie()) },
  };
}

/** Polls a process's output until it matches (stdout may lag behind the HTTP socket). */
export async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 5_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`Output never matched ${pattern}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
