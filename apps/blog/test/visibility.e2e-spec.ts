import { jest } from '@jest/globals';
import { XMLParser } from 'fast-xml-parser';
import request from 'supertest';

import { daysAgo, startTestApp, type TestApp } from './support/test-app.js';

/** Every reader surface, for "is this post visible anywhere?" */
async function surfaces(t: TestApp, slug: string, word: string) {
  const get = (path: string) => request(t.server).get(path);
  const [home, tag, atom, json, sitemap, search, direct] = await Promise.all([
    get('/'),
    get('/tags/shared'),
    get('/feed.xml'),
    get('/feed.json'),
    get('/sitemap.xml'),
    get(`/search?q=${word}`),
    get(`/posts/${slug}`),
  ]);
  return {
    home: home.text.includes(`/posts/${slug}`),
    tag: tag.text.includes(`/posts/${slug}`),
    atom: atom.text.includes(`/posts/${slug}`),
    json: (JSON.parse(json.text) as { items: { url: string }[] }).items.some((i) => i.url.endsWith(`/posts/${slug}`)),
    sitemap: sitemap.text.includes(`/posts/${slug}`),
    search: search.text.includes(`/posts/${slug}`),
    direct: direct.status,
  };
}

describe('drafts and scheduled posts', () => {
  let t: TestApp;
  const inOneHour = new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    t = await startTestApp();
    // A visible post keeps the shared tag alive so its page answers 200.
    await t.createPost({ title: 'Public', markdown: 'public words', tags: ['shared'], publishedAt: daysAgo(1) });
    await t.createPost({
      title: 'Draft',
      slug: 'draft-post',
      markdown: 'zanzibar draft words',
      tags: ['shared'],
      status: 'draft',
    });
    await t.createPost({
      title: 'Later',
      slug: 'later-post',
      markdown: 'quixotic future words',
      tags: ['shared', 'later-only'],
      publishedAt: inOneHour,
    });
  });
  afterAll(() => t.close());

  it('the public post is on every surface (the check itself can see)', async () => {
    expect(await surfaces(t, 'public', 'public')).toEqual({
      home: true,
      tag: true,
      atom: true,
      json: true,
      sitemap: true,
      search: true,
      direct: 200,
    });
  });

  it('a draft is on no surface, and its URL is a 404', async () => {
    expect(await surfaces(t, 'draft-post', 'zanzibar')).toEqual({
      home: false,
      tag: false,
      atom: false,
      json: false,
      sitemap: false,
      search: false,
      direct: 404,
    });
  });

  /** The tag only the scheduled post carries: its page, and its place in the tag index and the sitemap. */
  async function laterOnlyTag() {
    const [page, index, sitemap] = await Promise.all(
      ['/tags/later-only', '/tags', '/sitemap.xml'].map((path) => request(t.server).get(path)),
    );
    return {
      page: page!.status,
      inIndex: index!.text.includes('/tags/later-only'),
      inSitemap: sitemap!.text.includes('/tags/later-only'),
    };
  }

  it('a scheduled post is hidden until its time, then everywhere, with no job to run', async () => {
    // Every surface before the time (each also fills the page cache, which must not outlive the time).
    expect(await surfaces(t, 'later-post', 'quixotic')).toEqual({
      home: false,
      tag: false,
      atom: false,
      json: false,
      sitemap: false,
      search: false,
      direct: 404,
    });
    expect(await laterOnlyTag()).toEqual({ page: 404, inIndex: false, inSitemap: false });
    const realNow = t.clock.now.bind(t.clock);
    const spy = jest.spyOn(t.clock, 'now').mockImplementation(() => new Date(realNow().getTime() + 2 * 3_600_000));
    try {
      expect(await surfaces(t, 'later-post', 'quixotic')).toEqual({
        home: true,
        tag: true,
        atom: true,
        json: true,
        sitemap: true,
        search: true,
        direct: 200,
      });
      expect(await laterOnlyTag()).toEqual({ page: 200, inIndex: true, inSitemap: true });
    } finally {
      spy.mockRestore();
    }
  });

  it('a tag with only hidden posts has no page', async () => {
    await t.createPost({ title: 'Secret', markdown: 'x', tags: ['only-drafts'], status: 'draft' });
    await request(t.server).get('/tags/only-drafts').expect(404);
    const tags = await request(t.server).get('/tags').expect(200);
    expect(tags.text).not.toContain('only-drafts');
  });

  it('the sitemap parses as XML and lists only visible URLs', async () => {
    const res = await request(t.server)
      .get('/sitemap.xml')
      .expect(200)
      .expect('Content-Type', /application\/xml/);
    const doc = new XMLParser().parse(res.text) as { urlset: { url: { loc: string }[] } };
    const locs = doc.urlset.url.map((u) => u.loc);
    expect(locs).toEqual(['http://blog.test/', 'http://blog.test/posts/public', 'http://blog.test/tags/shared']);
  });
});
