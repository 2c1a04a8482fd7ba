import { MikroORM } from '@mikro-orm/better-sqlite';
import request from 'supertest';

import { startTestApp, type TestApp } from './support/test-app.js';

describe('when the database stops answering', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Hello', markdown: 'x' });
    await request(t.server).get('/').expect(200); // warm the settings cache
    await t.app.get(MikroORM).close(true);
  });
  afterAll(() => t.close());

  it('shows the themed 500 page without a stack trace', async () => {
    const res = await request(t.server)
      .get('/posts/hello')
      .expect(500)
      .expect('Content-Type', /text\/html/);
    expect(res.text).toContain('Something went wrong');
    expect(res.text).toContain('<a class="site-title" href="/">');
    expect(res.text).not.toMatch(/\bat \S+ \(|Error:|knex|sqlite/i);
  });

  it('fails the health check with 503', async () => {
    await request(t.server).get('/healthz').expect(503);
  });
});
