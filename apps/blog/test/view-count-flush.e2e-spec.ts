import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import request from 'supertest';

import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Request-based billing: the CPU is there only while a request is in flight. The batched view
 * counts must be written inside a request once their interval has passed, not by a timer that
 * would only fire whenever the CPU comes back.
 */
describe('view counts are written by the request that finds them due', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Counted', markdown: 'Read me.' });
  });
  afterAll(() => t.close());

  const stored = () => {
    const db = new Database(t.databasePath, { readonly: true });
    try {
      return (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM post_view').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const read = (path: string) => request(t.server).get(path).set('User-Agent', 'Mozilla/5.0 (reader)');

  it('holds them while the batch is young, and stores them before answering the first request after 30 s', async () => {
    for (let n = 0; n < 3; n++) await read('/posts/counted').expect(200);
    await read('/').expect(200);
    expect(stored()).toBe(0); // batched

    const later = new Date(Date.now() + 31_000);
    jest.spyOn(t.clock, 'now').mockReturnValue(later);
    // Any request will do (here a page from the page cache); once it is answered, the counts are in the file.
    await read('/').expect(200);
    expect(stored()).toBe(3);
  });
});
