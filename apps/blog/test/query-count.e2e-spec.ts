import { jest } from '@jest/globals';
import { MikroORM } from '@mikro-orm/better-sqlite';
import request from 'supertest';

import { PageCache } from '../src/site/page-cache.service.js';
import { daysAgo, startTestApp, type TestApp } from './support/test-app.js';

/**
 * The SQL a reader's page costs must not grow with the blog (no N+1): every statement the ORM
 * (and the search service) runs goes through the connection's execute(), counted here for each
 * page type on a blog of 3 posts and again after it has 40.
 */
describe('queries per page do not grow with the number of posts', () => {
  let t: TestApp;
  const pages = ['/', '/?page=2', '/posts/post-2', '/tags/common', '/tags', '/search?q=words', '/feed.xml', '/sitemap.xml'];

  /** A page's own statements: rendered once first so the shared site context is warm. */
  async function statementsFor(path: string): Promise<number> {
    await request(t.server).get(path).expect(200);
    t.app.get(PageCache).clear();
    const prepare = jest.spyOn(t.app.get(MikroORM).em.getConnection(), 'execute');
    try {
      await request(t.server).get(path).expect(200);
      return prepare.mock.calls.length;
    } finally {
      prepare.mockRestore();
    }
  }

  async function addPosts(from: number, to: number): Promise<void> {
    for (let i = from; i <= to; i++) {
      await t.createPost({
        title: `Post ${i}`,
        markdown: `Some words for post ${i}.`,
        tags: ['Common', `Only ${i}`, `Pair ${i % 2}`],
        publishedAt: daysAgo(100 - i),
      });
    }
  }

  beforeAll(async () => {
    t = await startTestApp();
    await t.run(() => t.services.settings.update({ postsPerPage: 2 }));
  });
  afterAll(() => t.close());

  it('counts the same statements for 3 posts and for 40', async () => {
    await addPosts(1, 3);
    const few: Record<string, number> = {};
    for (const page of pages) few[page] = await statementsFor(page);
    await addPosts(4, 40);
    const many: Record<string, number> = {};
    for (const page of pages) many[page] = await statementsFor(page);
    for (const page of pages) expect(few[page]).toBeGreaterThan(0);
    expect(many).toEqual(few);
  });
});
