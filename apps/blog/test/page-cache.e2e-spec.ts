import { jest } from '@jest/globals';
import request from 'supertest';

import { CachedPage, PageCache } from '../src/site/page-cache.service.js';
import { daysAgo, startTestApp, type TestApp } from './support/test-app.js';

describe('page cache, ETags, compression and fingerprinted assets', () => {
  let t: TestApp;
  let cache: PageCache;

  beforeAll(async () => {
    t = await startTestApp();
    cache = t.app.get(PageCache);
    await t.createPost({
      title: 'Cached words',
      markdown: 'A post about caching.\n\n'.repeat(40),
      tags: ['Speed'],
      publishedAt: daysAgo(1),
    });
  });
  afterAll(() => t.close());

  it('renders a page once, then answers from memory with the same strong ETag', async () => {
    cache.clear();
    const before = cache.stats();
    const first = await request(t.server).get('/posts/cached-words').set('Accept-Encoding', 'identity').expect(200);
    const second = await request(t.server).get('/posts/cached-words').set('Accept-Encoding', 'identity').expect(200);
    const after = cache.stats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
    expect(second.text).toBe(first.text);
    expect(first.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(first.headers['cache-control']).toBe('public, max-age=0, s-maxage=60');
    expect(first.headers.vary).toMatch(/Accept-Encoding/);
    expect(first.headers['content-type']).toMatch(/^text\/html/);
  });

  it('answers If-None-Match with 304 and no body', async () => {
    const { headers } = await request(t.server).get('/').expect(200);
    const res = await request(t.server).get('/').set('If-None-Match', headers.etag).expect(304);
    expect(res.text).toBeFalsy();
    await request(t.server).get('/').set('If-None-Match', '"something-else"').expect(200);
  });

  it('serves brotli and gzip to clients that accept them, each with its own ETag', async () => {
    const plain = await request(t.server).get('/posts/cached-words').set('Accept-Encoding', 'identity').expect(200);
    // supertest decodes br and gzip: equal text proves the encoded bytes are valid.
    const br = await request(t.server).get('/posts/cached-words').set('Accept-Encoding', 'gzip, br').expect(200);
    const gz = await request(t.server).get('/posts/cached-words').set('Accept-Encoding', 'gzip').expect(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(br.text).toBe(plain.text);
    expect(gz.text).toBe(plain.text);
    expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(plain.text));
    expect(Number(br.headers['content-length'])).toBeLessThan(Buffer.byteLength(plain.text) / 3);
    expect(Number(br.headers['content-length'])).toBeLessThan(Number(gz.headers['content-length']));
    expect(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3);
    await request(t.server)
      .get('/posts/cached-words')
      .set('Accept-Encoding', 'br')
      .set('If-None-Match', br.headers.etag)
      .expect(304);
  });

  it('answers HEAD from the cache without a body', async () => {
    const get = await request(t.server).get('/tags/speed').set('Accept-Encoding', 'gzip').expect(200);
    const head = await request(t.server).head('/tags/speed').set('Accept-Encoding', 'gzip').expect(200);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.text).toBeFalsy();
  });

  it('drops every page when content changes', async () => {
    await request(t.server).get('/').expect(200);
    expect(cache.stats().entries).toBeGreaterThan(0);
    await t.createPost({ title: 'Fresh news', markdown: 'Just in.' });
    expect(cache.stats().entries).toBe(0);
    const home = await request(t.server).get('/').expect(200);
    expect(home.text).toContain('Fresh news');
    const feed = await request(t.server).get('/feed.xml').expect(200);
    expect(feed.text).toContain('Fresh news');
    await t.run(() => t.services.settings.update({ title: 'Renamed blog' }));
    expect((await request(t.server).get('/').expect(200)).text).toContain('Renamed blog');
  });

  it('expires when a scheduled post comes due, with no timer', async () => {
    await t.createPost({ title: 'Tomorrow only', markdown: 'Later.', publishedAt: new Date(Date.now() + 86_400_000) });
    expect((await request(t.server).get('/').expect(200)).text).not.toContain('Tomorrow only');
    expect((await request(t.server).get('/').expect(200)).text).not.toContain('Tomorrow only');
    const realNow = t.clock.now.bind(t.clock);
    const spy = jest.spyOn(t.clock, 'now').mockImplementation(() => new Date(realNow().getTime() + 2 * 86_400_000));
    try {
      expect((await request(t.server).get('/').expect(200)).text).toContain('Tomorrow only');
    } finally {
      spy.mockRestore();
    }
  });

  it('never caches the admin, errors, health or responses that set cookies', async () => {
    cache.clear();
    const login = await request(t.server).get('/admin/login').expect(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const missing = await request(t.server).get('/posts/not-here').expect(404);
    expect(missing.headers['cache-control']).toBe('no-store');
    await request(t.server).get('/healthz').expect(200);
    expect(cache.stats().entries).toBe(0);
  });

  it('never answers the admin, static files, media or health checks from memory, in any letter case', async () => {
    // Express routes paths case-insensitively: /ADMIN/login is the admin's login page.
    const login = await request(t.server).get('/ADMIN/login').expect(200);
    expect(login.text).toContain('name="password"');
    // Even a page stored under such a URL (the cache never stores one) is not sent: the same rule
    // as the fast path's (page-cache-fast-path.e2e-spec.ts), which answers before this middleware.
    const planted = new CachedPage('text/html; charset=utf-8', Buffer.from('<p>planted</p>'), undefined);
    for (const path of ['/ADMIN/login', '/Admin/login?next=%2Fadmin', '/Static/css/site.css', '/MEDIA/1/x.png', '/HealthZ']) {
      cache.clear();
      cache.store(path, planted, cache.currentGeneration);
      const res = await request(t.server).get(path);
      expect([path, res.text]).not.toEqual([path, '<p>planted</p>']);
    }
    cache.clear();
  });

  it('keeps a flood of distinct URLs within its memory bound, dropping the least recently used', async () => {
    cache.clear();
    await request(t.server).get('/?utm=0').set('Accept-Encoding', 'identity').expect(200);
    const onePage = cache.stats().bytes;
    cache.maxBytes = onePage * 3.5;
    try {
      for (let i = 1; i < 30; i++) await request(t.server).get(`/?utm=${i}`).set('Accept-Encoding', 'identity').expect(200);
      const { entries, bytes } = cache.stats();
      expect(bytes).toBeLessThanOrEqual(cache.maxBytes);
      expect(entries).toBe(3);
      const before = cache.stats();
      await request(t.server).get('/?utm=29').set('Accept-Encoding', 'identity').expect(200); // newest: still there
      await request(t.server).get('/?utm=0').set('Accept-Encoding', 'identity').expect(200); // oldest: evicted
      const after = cache.stats();
      expect(after.hits - before.hits).toBe(1);
      expect(after.misses - before.misses).toBe(1);
    } finally {
      cache.maxBytes = 24 * 1024 * 1024;
    }
  });

  it('links the theme files by content hash, cacheable for a year, and still serves the plain names', async () => {
    const home = await request(t.server).get('/').expect(200);
    const href = /href="(\/static\/css\/site\.([0-9a-f]{10})\.css)"/.exec(home.text);
    expect(href).not.toBeNull();
    const css = await request(t.server).get(href![1]).expect(200);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.headers['content-type']).toMatch(/text\/css/);
    const plain = await request(t.server).get('/static/css/site.css').expect(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=3600');
    expect(plain.text).toBe(css.text);
    await request(t.server).get('/static/css/site.0000000000.css').expect(404);
    const gz = await request(t.server).get('/static/css/site.css').set('Accept-Encoding', 'gzip').expect(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
  });
});
