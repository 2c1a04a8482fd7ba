import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import request from 'supertest';

import { MediaService, WRITE_GATE, type WriteGate } from '@app/content';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { photo } from './support/photos.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Real renditions through sharp on a loaded 2-core machine.
jest.setTimeout(120_000);

interface Row {
  id: number;
  sha256: string;
  renditions: string;
}

/**
 * Images from before renditions (a blog upgraded from BLOBs: the boot gives them 10 s a start) get
 * them on the author's requests too: a visit to the dashboard or the media library makes a few, the
 * library's "Make renditions now" makes them for up to 20 s a press. A reader's request never does.
 */
describe('renditions for images from before, made on the author’s requests', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;
  const ids: number[] = [];

  const rows = (): Row[] => {
    const db = new Database(t.databasePath, { readonly: true });
    try {
      return db.prepare('select id, sha256, renditions from media where purpose is null order by id').all() as Row[];
    } finally {
      db.close();
    }
  };
  const without = () => rows().filter((r) => r.renditions === '[]').length;
  /** Makes the images look as an upgraded blog's do before their turn: moved out, no renditions yet. */
  const forgetRenditions = () => {
    const db = new Database(t.databasePath);
    try {
      db.prepare("update media set renditions = '[]', width = null, height = null").run();
      // The post as the old app rendered it: a plain <img>, no srcset.
      db.prepare("update post set html = ? where slug = 'old-photo'").run(
        `<p><img src="/media/${ids[0]}/old-0.jpg" alt="Old"></p>`,
      );
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
    for (let i = 0; i < 3; i++) {
      const res = await agent
        .post('/admin/media')
        .set('X-CSRF-Token', csrf)
        .set('Accept', 'application/json')
        .attach('file', await photo(640, 420, 40 + i), { filename: `old-${i}.jpg`, contentType: 'image/jpeg' })
        .expect(201);
      ids.push((res.body as { id: number }).id);
    }
    await t.createPost({ title: 'Old photo', markdown: `![Old](/media/${ids[0]}/old-0.jpg)` });
  });
  afterAll(() => t.close());
  beforeEach(forgetRenditions);

  it('a reader’s request never makes them', async () => {
    await request(t.server).get('/').expect(200);
    await request(t.server).get('/posts/old-photo').expect(200);
    expect(without()).toBe(3);
  });

  it('the library says how many lack them and offers the button (here an instance that may not write: it makes none)', async () => {
    const media = t.app.get(MediaService);
    jest.spyOn(media, 'catchUpRenditions').mockResolvedValueOnce(null);
    const page = await agent.get('/admin/media').expect(200);
    expect(page.text).toContain('3 image(s) from before renditions existed have none yet');
    expect(page.text).toContain('action="/admin/media/renditions"');
    expect(without()).toBe(3);
  });

  it('a visit to the media library makes some within its budget', async () => {
    const page = await agent.get('/admin/media').expect(200);
    const left = without();
    expect(left).toBeLessThan(3);
    // The count shown is the one after the visit's work.
    if (left === 0) expect(page.text).not.toContain('Make renditions now');
    else expect(page.text).toContain(`${left} image(s) from before renditions existed have none yet`);
    // What was made is what an upload makes: the objects are in the store, the row names them.
    for (const row of rows().filter((r) => r.renditions !== '[]')) {
      const renditions = JSON.parse(row.renditions) as { width: number; format: string }[];
      expect(renditions.length).toBeGreaterThan(0);
      for (const r of renditions) expect(existsSync(join(t.dir, 'media', `${row.sha256}-${r.width}w.${r.format}`))).toBe(true);
    }
  });

  it('the dashboard visit makes some too', async () => {
    await agent.get('/admin').expect(200);
    expect(without()).toBeLessThan(3);
  });

  it('"Make renditions now" makes the rest, and the post is rendered again with srcset', async () => {
    const res = await agent.post('/admin/media/renditions').type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).toBe('/admin/media?notice=renditions-done');
    expect(without()).toBe(0);
    // Not for the social card the blog made for the post: it is shared as its PNG, never with srcset.
    const db = new Database(t.databasePath, { readonly: true });
    try {
      expect(db.prepare("select renditions from media where purpose = 'social-card'").all()).toEqual([{ renditions: '[]' }]);
    } finally {
      db.close();
    }
    const library = await agent.get('/admin/media?notice=renditions-done').expect(200);
    expect(library.text).toContain('Every image has its renditions now.');
    expect(library.text).not.toContain('Make renditions now');
    const post = await request(t.server).get('/posts/old-photo').expect(200);
    expect(post.text).toMatch(/<source type="image\/avif" srcset="\/media\/\d+\/old-0-480w\.avif 480w/);
  });

  it('answers a script with JSON: how many were made and how many are left', async () => {
    const res = await agent
      .post('/admin/media/renditions')
      .set('X-CSRF-Token', csrf)
      .set('Accept', 'application/json')
      .expect(200);
    expect(res.body).toEqual({ done: 3, left: 0 });
  });

  it('one at a time per instance: a request that finds one under way goes on without waiting for it', async () => {
    const media = t.app.get(MediaService);
    const [first, second] = await Promise.all([
      t.run(() => media.catchUpRenditions(60_000)),
      t.run(() => media.catchUpRenditions(60_000)),
    ]);
    expect([first?.done, second]).toEqual([3, null]);
    expect(without()).toBe(0);
  });

  it('once none is left, a library visit costs one query: the writer lease (a bucket read) is not asked', async () => {
    await agent.post('/admin/media/renditions').type('form').send({ _csrf: csrf }).expect(303);
    // (The orphan sweep, which also asks it, ran on an earlier visit: not due again for 10 minutes.)
    const asked = jest.spyOn(t.app.get<WriteGate>(WRITE_GATE), 'mayWrite');
    await agent.get('/admin/media').expect(200);
    expect(asked).not.toHaveBeenCalled();
    asked.mockRestore();
  });

  it('refuses a press without the CSRF token, and makes nothing', async () => {
    await agent.post('/admin/media/renditions').type('form').send({}).expect(403);
    expect(without()).toBe(3);
  });
});
