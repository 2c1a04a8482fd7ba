import { jest } from '@jest/globals';
import { MikroORM } from '@mikro-orm/better-sqlite';
import request from 'supertest';

import { PageCache } from '../src/site/page-cache.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// A loaded CI machine can take more than Jest's default 5 s to boot the app.
jest.setTimeout(30_000);

const READER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const postCount = (html: string) => /<p class="muted view-count">Read (\d+) times?<\/p>/.exec(html)?.[1];
const siteCount = (html: string) => /<span class="site-views">posts read (\d+) times?<\/span>/.exec(html)?.[1];

/**
 * The visitor counter on the page, without giving up the page cache: pages show the counts as of
 * the last batch flush, stay cached (no query on a hit), and are rendered again only once the
 * counts they show moved, at most once a minute. No script: the number is in the HTML.
 */
describe('view counts readers see', () => {
  let t: TestApp;
  let now: number;
  const read = (path: string, ua = READER) => request(t.server).get(path).set('User-Agent', ua).expect(200);
  const at = (ms: number) => {
    now = ms;
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Counted', markdown: 'Read me.' });
    await t.createPost({ title: 'Other', markdown: 'Me too.' });
    now = Date.now();
    jest.spyOn(t.clock, 'now').mockImplementation(() => new Date(now));
  });
  afterAll(() => t.close());

  it('shows the counts as of the last flush, serving the page from the cache with no query', async () => {
    const first = await read('/posts/counted');
    expect(postCount(first.text)).toBe('0');
    expect(siteCount(first.text)).toBe('0');
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.text).not.toMatch(/<script(?! type="application\/ld\+json")/);

    const execute = jest.spyOn(t.app.get(MikroORM).em.getConnection(), 'execute');
    try {
      await read('/posts/counted');
      await read('/posts/counted', 'Googlebot/2.1 (+http://www.google.com/bot.html)');
      const hit = await read('/posts/counted');
      expect(execute).not.toHaveBeenCalled();
      // Views are pending, not yet stored: the page is the same bytes.
      expect(hit.headers.etag).toBe(first.headers.etag);
    } finally {
      execute.mockRestore();
    }
    // Rendering a page again (here after the cache was dropped) reads no counts either: they are held.
    t.app.get(PageCache).clear();
    const sql = jest.spyOn(t.app.get(MikroORM).em.getConnection(), 'execute');
    try {
      expect(siteCount((await read('/')).text)).toBe('0');
      expect(sql.mock.calls.filter(([query]) => String(query).includes('post_view'))).toEqual([]);
      expect(sql).toHaveBeenCalled(); // the page itself did query: the spy sees the app's statements
    } finally {
      sql.mockRestore();
    }
    await read('/posts/other');
  });

  it('moves once the batch is stored, on the post page and in every footer', async () => {
    at(now + 31_000); // the batch is due: the next request stores it, then finds the counts moved
    const post = await read('/posts/counted');
    expect(postCount(post.text)).toBe('3'); // the first view and two more readers; not the bot, not this one
    expect(siteCount(post.text)).toBe('4');
    expect(siteCount((await read('/')).text)).toBe('4');
    expect(postCount((await read('/posts/other')).text)).toBe('1');
  });

  it('re-renders cached pages at most once a minute, however often the counts are stored', async () => {
    const before = await read('/posts/counted'); // pending: 3 views since the last shown counts
    at(now + 31_000); // stored again, 31 s after the counts last moved: too soon to show them
    const soon = await read('/posts/counted');
    expect(soon.headers.etag).toBe(before.headers.etag);
    expect(postCount(soon.text)).toBe('3');

    at(now + 29_000); // a minute since the counts moved (and no new batch due): the stored views show
    const later = await read('/posts/counted');
    expect(later.headers.etag).not.toBe(before.headers.etag);
    expect(postCount(later.text)).toBe('5');
    expect(siteCount(later.text)).toBe('7');
  });
});
