import request from 'supertest';

import { TagsService } from '@app/content';

import { daysAgo, startTestApp, type TestApp } from './support/test-app.js';

describe('search', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({
      title: 'Litestream in practice',
      markdown: 'How replication of SQLite works.',
      tags: ['sqlite'],
      publishedAt: daysAgo(3),
    });
    await t.createPost({
      title: 'Cooking',
      markdown: 'A recipe that mentions litestream once, in passing.',
      publishedAt: daysAgo(2),
    });
    await t.createPost({ title: 'Café culture', markdown: 'Über naïve coffee in Zürich. Привет мир.', publishedAt: daysAgo(1) });
    await t.createPost({
      title: 'Markup',
      markdown: 'Text with <b>tags</b> &lt;script&gt;alert(1)&lt;/script&gt; inside.',
      publishedAt: daysAgo(1),
    });
  });
  afterAll(() => t.close());

  const search = (q: string) => request(t.server).get('/search').query({ q });

  it('ranks title matches first and highlights matches in escaped snippets', async () => {
    const res = await search('litestream').expect(200);
    expect(res.text).toContain('2 results');
    expect(res.text.indexOf('/posts/litestream-in-practice')).toBeLessThan(res.text.indexOf('/posts/cooking'));
    expect(res.text).toContain('<mark>Litestream</mark> in practice');
    expect(res.text).toMatch(/mentions <mark>litestream<\/mark> once/);
  });

  it('matches prefixes, ignores accents and case, and finds other scripts', async () => {
    expect((await search('replic').expect(200)).text).toContain('/posts/litestream-in-practice');
    expect((await search('ZURICH cafe').expect(200)).text).toContain('/posts/cafe-culture');
    expect((await search('привет').expect(200)).text).toContain('/posts/cafe-culture');
  });

  it('supports "quoted phrases"', async () => {
    expect((await search('"replication of sqlite"').expect(200)).text).toContain('1 result');
    expect((await search('"sqlite of replication"').expect(200)).text).toContain('0 results');
  });

  it('never lets indexed text or the query inject markup', async () => {
    const res = await search('script').expect(200);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).toContain('&lt;');
    const echo = await search('<img src=x onerror=alert(1)>').expect(200);
    expect(echo.text).not.toContain('<img src=x');
  });

  it.each([
    ['quotes', '"unbalanced'],
    ['only quotes', '""""'],
    ['FTS operators', 'litestream OR NOT AND NEAR(a b) *'],
    ['column filter', 'title:litestream'],
    ['SQL', "'; DROP TABLE post; --"],
    ['symbols', '^$%&*()[]{}\\|/<>?~`+=-_'],
    ['emoji and unicode', '🙂 日本語 ｆｕｌｌｗｉｄｔｈ \u0000\u202e'],
    ['1 KB query', 'litestream '.repeat(100)],
    ['empty', ''],
    ['whitespace', '   \t  '],
  ])('answers 200 for %s', async (_name, q) => {
    await search(q).expect(200);
  });

  it('handles repeated and missing q parameters', async () => {
    await request(t.server).get('/search').expect(200);
    await request(t.server).get('/search?q=a&q=b').expect(200);
    await request(t.server).get('/search?q=litestream&page=9').expect(404);
  });

  it('removes a deleted post from the index and re-indexes an edited one', async () => {
    const post = await t.createPost({ title: 'Ephemeral', markdown: 'xylophone' });
    expect((await search('xylophone')).text).toContain('1 result');
    await t.run(() => t.services.posts.update(post.id, { title: 'Ephemeral', markdown: 'marimba', status: 'published' }));
    expect((await search('xylophone')).text).toContain('0 results');
    expect((await search('marimba')).text).toContain('1 result');
    await t.run(() => t.services.posts.delete(post.id));
    expect((await search('marimba')).text).toContain('0 results');
  });

  it('finds posts by tag name, and follows tag renames, merges and deletions', async () => {
    const post = await t.createPost({ title: 'Tagged', markdown: 'plain body', tags: ['Walrus', 'Narwhal'] });
    expect((await search('walrus')).text).toContain('/posts/tagged');
    const tags = t.app.get(TagsService);
    const walrus = (await t.run(() => tags.findBySlug('walrus')))!;
    await t.run(() => tags.rename(walrus.id, 'Seal'));
    expect((await search('walrus')).text).not.toContain('/posts/tagged');
    expect((await search('seal')).text).toContain('/posts/tagged');
    const narwhal = (await t.run(() => tags.findBySlug('narwhal')))!;
    await t.run(() => tags.delete(narwhal.id));
    expect((await search('narwhal')).text).not.toContain('/posts/tagged');
    await t.run(() => t.services.posts.delete(post.id));
  });
});
