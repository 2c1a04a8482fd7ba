import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import request from 'supertest';

import { AuthCookies } from '@app/auth';

import { createApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/config.js';
import { AppLogger } from '../src/logging/app-logger.js';
import { PageCacheFastPath } from '../src/site/page-cache.fast-path.js';
import { CachedPage, PageCache } from '../src/site/page-cache.service.js';
import { ADMIN_PASSWORD, daysAgo, SITE_URL, startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

const READER = 'Mozilla/5.0 (X11; Linux x86_64) reader';
const ENCODINGS = [undefined, 'identity', 'gzip', 'gzip, deflate, br', 'br;q=0, gzip'];
const PATHS = ['/', '/posts/fast-words', '/tags/speed', '/feed.xml', '/feed.json', '/about'];

/** Every header but the clock's, by lower-case name. */
function headersOf(res: request.Response): Record<string, string> {
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return rest;
}

/**
 * The page cache's fast path (page-cache.fast-path.ts) answers hits before Express and Nest: these
 * prove it answers them exactly as the app did (header by header), and only them.
 */
describe.each([
  ['locally', {}],
  ['in production (HSTS, secure cookies)', { NODE_ENV: 'production' }],
])('page cache fast path, %s', (_label, env: Record<string, string>) => {
  let t: TestApp;
  let cache: PageCache;
  let fast: PageCacheFastPath;
  let session: string;
  let postId: number;

  beforeAll(async () => {
    t = await startTestApp(env);
    cache = t.app.get(PageCache);
    fast = t.app.get(PageCacheFastPath);
    session = `${t.app.get(AuthCookies).sessionName}=anything`;
    const post = await t.createPost({
      title: 'Fast words',
      markdown: 'A post about speed.\n\n'.repeat(40),
      tags: ['Speed'],
      publishedAt: daysAgo(1),
    });
    postId = post.id;
    await t.createPage({ title: 'About', markdown: 'Who writes here.' });
  });
  afterAll(() => t.close());

  /** One GET, and whether the fast path answered it. */
  async function get(path: string, headers: Record<string, string> = {}, method: 'get' | 'head' = 'get') {
    const before = fast.stats().answered;
    const req = request(t.server)[method](path).set('User-Agent', READER);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    return { res, fast: fast.stats().answered - before };
  }

  it('answers a hit with the very headers and bytes the app sent on the miss', async () => {
    for (const path of PATHS) {
      for (const encoding of ENCODINGS) {
        cache.clear();
        const headers: Record<string, string> = encoding === undefined ? {} : { 'Accept-Encoding': encoding };
        const miss = await get(path, headers);
        const hit = await get(path, headers);
        expect([path, encoding, miss.res.status, miss.fast]).toEqual([path, encoding, 200, 0]);
        expect([path, encoding, hit.res.status, hit.fast]).toEqual([path, encoding, 200, 1]);
        expect([path, encoding, headersOf(hit.res)]).toEqual([path, encoding, headersOf(miss.res)]);
        expect(hit.res.text).toBe(miss.res.text);
      }
    }
  });

  it('sends every security header of the app on a hit', async () => {
    await get('/');
    const { res, fast: answered } = await get('/');
    expect(answered).toBe(1);
    for (const name of [
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
      ...(env.NODE_ENV === 'production' ? ['strict-transport-security'] : []),
    ])
      expect([name, res.headers[name]]).toEqual([name, expect.any(String)]);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers 304 and HEAD as the app does on its own hits (a signed-in author goes through the app)', async () => {
    for (const path of PATHS) {
      for (const encoding of ['identity', 'gzip, deflate, br']) {
        await get(path, { 'Accept-Encoding': encoding });
        const viaApp = await get(path, { 'Accept-Encoding': encoding, Cookie: session });
        const viaFast = await get(path, { 'Accept-Encoding': encoding });
        expect([path, viaApp.fast, viaFast.fast]).toEqual([path, 0, 1]);
        expect(headersOf(viaFast.res)).toEqual(headersOf(viaApp.res));

        const etag = viaFast.res.headers.etag;
        const conditional = { 'Accept-Encoding': encoding, 'If-None-Match': etag };
        const notModifiedApp = await get(path, { ...conditional, Cookie: session });
        const notModifiedFast = await get(path, conditional);
        expect([path, notModifiedApp.res.status, notModifiedFast.res.status, notModifiedFast.fast]).toEqual([path, 304, 304, 1]);
        expect(notModifiedFast.res.text).toBeFalsy();
        expect(headersOf(notModifiedFast.res)).toEqual(headersOf(notModifiedApp.res));
        // Another ETag, or a client that asks to revalidate past every cache, gets the page.
        expect((await get(path, { 'Accept-Encoding': encoding, 'If-None-Match': '"other"' })).res.status).toBe(200);
        expect((await get(path, { ...conditional, 'Cache-Control': 'no-cache' })).res.status).toBe(200);

        const headApp = await get(path, { 'Accept-Encoding': encoding, Cookie: session }, 'head');
        const headFast = await get(path, { 'Accept-Encoding': encoding }, 'head');
        expect([path, headApp.res.status, headFast.res.status, headFast.fast]).toEqual([path, 200, 200, 1]);
        expect(headFast.res.text).toBeFalsy();
        expect(headersOf(headFast.res)).toEqual(headersOf(headApp.res));
      }
    }
  });

  it('counts a view on every hit of the post page, as the app did, and none for robots', async () => {
    await t.services.views.flush();
    const total = () => t.services.views.total(postId);
    await get('/posts/fast-words');
    const start = await total();
    const hit = await get('/posts/fast-words');
    expect(hit.fast).toBe(1);
    expect(await total()).toBe(start + 1);
    const etag = hit.res.headers.etag;
    expect((await get('/posts/fast-words', { 'If-None-Match': etag })).fast).toBe(1);
    expect((await get('/posts/fast-words', {}, 'head')).fast).toBe(1);
    expect(await total()).toBe(start + 3);
    const bot = await request(t.server).get('/posts/fast-words').set('User-Agent', 'Googlebot/2.1');
    expect(bot.status).toBe(200);
    expect(await total()).toBe(start + 3);
    // Other pages count nothing.
    await get('/');
    expect((await get('/')).fast).toBe(1);
    expect(await total()).toBe(start + 3);
  });

  it('never answers a POST, the admin, static files, media, health checks or a signed-in author', async () => {
    await get('/posts/fast-words');
    expect((await get('/posts/fast-words')).fast).toBe(1);

    const before = fast.stats().answered;
    const post = await request(t.server).post('/posts/fast-words').set('User-Agent', READER).send('a=1');
    expect(post.status).toBe(404);
    const signedIn = await get('/posts/fast-words', { Cookie: `theme=dark; ${session}` });
    expect([signedIn.res.status, signedIn.fast]).toEqual([200, 0]);

    // Even a page stored under such a URL (the cache never stores one) is not answered here.
    const planted = new CachedPage('text/html; charset=utf-8', Buffer.from('<p>planted</p>'), undefined);
    for (const path of [
      '/admin',
      '/admin/posts',
      '/ADMIN/settings',
      '/static/css/site.css',
      '/Static/css/site.css',
      '/media/1/x.png',
      '/MEDIA/1/x.png?w=1',
      '/healthz',
      '/HealthZ?probe',
    ]) {
      cache.store(path, planted, cache.currentGeneration);
      expect([path, (await get(path)).fast]).toEqual([path, 0]);
    }
    cache.clear();
    expect(fast.stats().answered).toBe(before);

    // A cookie that is not the session's does not turn a reader away.
    await get('/posts/fast-words');
    expect((await get('/posts/fast-words', { Cookie: 'theme=dark' })).fast).toBe(1);
  });

  it('hands a miss and a page past its scheduled post to the app', async () => {
    await t.createPost({ title: 'Due soon', markdown: 'Later.', publishedAt: new Date(Date.now() + 86_400_000) });
    await get('/');
    const cached = await get('/');
    expect(cached.fast).toBe(1);
    expect(cached.res.text).not.toContain('Due soon');
    const realNow = t.clock.now.bind(t.clock);
    const spy = jest.spyOn(t.clock, 'now').mockImplementation(() => new Date(realNow().getTime() + 2 * 86_400_000));
    try {
      const due = await get('/');
      expect(due.fast).toBe(0);
      expect(due.res.text).toContain('Due soon');
    } finally {
      spy.mockRestore();
    }
    expect((await get('/never-cached-page')).fast).toBe(0);
  });
});

describe('page cache fast path, request log', () => {
  let dir: string;
  let app: Awaited<ReturnType<typeof createApp>>;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-e2e-'));
    const config = loadConfig({
      DATABASE_PATH: join(dir, 'blog.db'),
      LOG_LEVEL: 'info',
      DEMO_CONTENT: 'true',
      SITE_URL,
      ADMIN_PASSWORD,
      SESSION_SECRET: 'test-session-secret-that-is-long-enough-for-prod',
    });
    app = await createApp(config, new AppLogger(true, 'info', (line) => lines.push(line)));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The httpRequest fields of the request lines logged since `from`, latency left out (a clock). */
  const requestLines = (from: number) =>
    lines
      .slice(from)
      .map((l) => JSON.parse(l) as { message: string; severity: string; httpRequest?: Record<string, unknown> })
      .filter((l) => l.httpRequest)
      .map(({ httpRequest, severity }) => {
        const { latency, ...rest } = httpRequest!;
        expect(latency).toMatch(/^\d+\.\d{4}s$/);
        return { severity, ...rest };
      });

  it('writes the same request line for a hit as the app wrote for the miss', async () => {
    const fast = app.get(PageCacheFastPath);
    for (const [path, headers] of [
      ['/', {}],
      ['/feed.xml', { 'Accept-Encoding': 'gzip' }],
    ] as const) {
      const from = lines.length;
      const answeredBefore = fast.stats().answered;
      const miss = await request(app.getHttpServer()).get(path).set('User-Agent', READER).set(headers).expect(200);
      await request(app.getHttpServer()).get(path).set('User-Agent', READER).set(headers).expect(200);
      await request(app.getHttpServer())
        .get(path)
        .set('User-Agent', READER)
        .set(headers)
        .set('If-None-Match', miss.headers.etag)
        .expect(304);
      expect(fast.stats().answered - answeredBefore).toBe(2);
      const [onMiss, onHit, onNotModified] = requestLines(from);
      expect(onMiss).toEqual(
        expect.objectContaining({ requestMethod: 'GET', requestUrl: path, status: 200, userAgent: READER, protocol: 'HTTP/1.1' }),
      );
      expect(onHit).toEqual(onMiss);
      expect(onNotModified).toEqual({ ...onMiss, status: 304, responseSize: undefined });
    }
  });
});
