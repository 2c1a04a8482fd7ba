import { jest } from '@jest/globals';
import { MikroORM } from '@mikro-orm/better-sqlite';
import request from 'supertest';

import { PageCache } from '../src/site/page-cache.service.js';
import { daysAgo, startTestApp, type TestApp } from './support/test-app.js';

// Creating 40 posts and rendering every page four times: minutes, not seconds, on a loaded 2-core machine.
jest.setTimeout(120_000);

/** Items a page holds: the distinct posts it links to, or for the tag index, the distinct tags. */
function itemsOn(path: string, body: string): number {
  const pattern = path === '/tags' ? /\/tags\/[a-z0-9-]+/g : /\/posts\/post-\d+\b/g;
  return new Set(body.match(pattern)).size;
}

/**
 * The SQL a reader's page costs must not grow with what the page shows (no N+1): every statement
 * the ORM (and the search service) runs goes through the connection's execute(), counted here for
 * each list page while it holds 2 posts and again while it holds 20. Pages must be full for this
 * to mean anything (a per-post query on pages of 2 and 2 cancels out), so the number each page
 * holds is checked too.
 */
describe('queries per page do not grow with the posts a page shows', () => {
  let t: TestApp;
  /** Every list a reader can open: home, tag pages, search, both feeds, the sitemap, the tag index. */
  const firstPages = ['/', '/tags/common', '/search?q=words', '/feed.xml', '/feed.json', '/sitemap.xml', '/tags'];
  const secondPages = ['/?page=2', '/tags/common?page=2', '/search?q=words&page=2'];
  let created = 0;

  /** A page's own statements: rendered once first so the shared site context is warm. */
  async function statementsFor(path: string): Promise<{ statements: number; items: number }> {
    await request(t.server).get(path).expect(200);
    t.app.get(PageCache).clear();
    const execute = jest.spyOn(t.app.get(MikroORM).em.getConnection(), 'execute');
    try {
      const res = await request(t.server).get(path).buffer(true).expect(200);
      const body = typeof res.body === 'string' ? res.body : Buffer.isBuffer(res.body) ? res.body.toString() : res.text;
      return { statements: execute.mock.calls.length, items: itemsOn(path, body) };
    } finally {
      execute.mockRestore();
    }
  }

  async function postsUpTo(total: number): Promise<void> {
    for (let i = created + 1; i <= total; i++) {
      await t.createPost({
        title: `Post ${i}`,
        markdown: `Some words for post ${i}.`,
        tags: ['Common', `Only ${i}`, `Pair ${i % 2}`],
        publishedAt: daysAgo(100 - i),
      });
    }
    created = total;
  }

  async function measure(paths: string[]): Promise<{ statements: Record<string, number>; items: Record<string, number> }> {
    const statements: Record<string, number> = {};
    const items: Record<string, number> = {};
    for (const path of paths) ({ statements: statements[path], items: items[path] } = await statementsFor(path));
    return { statements, items };
  }

  beforeAll(async () => {
    t = await startTestApp();
    // Twenty posts per page, as the search page and the feeds show: every list can hold 2 or 20.
    await t.run(() => t.services.settings.update({ postsPerPage: 20 }));
  });
  afterAll(() => t.close());

  it('the first page of every list: the same statements holding 2 posts and holding 20', async () => {
    await postsUpTo(2);
    const two = await measure([...firstPages, '/posts/post-2']);
    await postsUpTo(20);
    const twenty = await measure([...firstPages, '/posts/post-2']);

    // The premise: each list really went from 2 items to 20 (the tag index from 5 tags to 23).
    const expected = (n: number) => ({ ...Object.fromEntries(firstPages.map((p) => [p, n])), '/tags': n + 3 });
    expect(Object.fromEntries(firstPages.map((p) => [p, two.items[p]]))).toEqual(expected(2));
    expect(Object.fromEntries(firstPages.map((p) => [p, twenty.items[p]]))).toEqual(expected(20));

    for (const count of Object.values(two.statements)) expect(count).toBeGreaterThan(0);
    expect(twenty.statements).toEqual(two.statements);
  });

  it('later pages: the same statements for a page 2 of 2 posts and a page 2 of 20', async () => {
    await postsUpTo(22);
    const two = await measure(secondPages);
    await postsUpTo(40);
    const twenty = await measure(secondPages);

    expect(two.items).toEqual(Object.fromEntries(secondPages.map((p) => [p, 2])));
    expect(twenty.items).toEqual(Object.fromEntries(secondPages.map((p) => [p, 20])));
    for (const count of Object.values(two.statements)) expect(count).toBeGreaterThan(0);
    expect(twenty.statements).toEqual(two.statements);
  });
});
