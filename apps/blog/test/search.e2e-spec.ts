import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EntityManager, MikroORM } from '@mikro-orm/better-sqlite';
import Database from 'better-sqlite3';
import request from 'supertest';

import { SearchService, TagsService } from '@app/content';

import { ormConfig } from '../src/database/orm.config.js';
import { loadMigrator } from '../src/database/migrate.js';
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

  it('keeps no copy of the text in the database: only the index', async () => {
    const db = new Database(t.databasePath, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'post_search%' ORDER BY name").pluck().all();
      expect(tables).not.toContain('post_search_content');
      expect(tables).toContain('post_search_data');
      const [row] = db
        .prepare('SELECT rowid, title, body FROM post_search WHERE post_search MATCH ?')
        .all('"litestream in practice"') as {
        title: unknown;
        body: unknown;
      }[];
      expect(row).toEqual(expect.objectContaining({ title: null, body: null }));
    } finally {
      db.close();
    }
  });

  it("marks each query's own matches when searches interleave", async () => {
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    for (const w of words)
      await t.createPost({ title: `Concurrent ${w}`, markdown: `Only ${w} is said here, among other words.` });
    // Called together in one tick, the searches take turns at every await (over HTTP each request
    // would run to its end in its own turn of the event loop, and never meet another).
    const service = t.app.get(SearchService);
    const results = await Promise.all(words.map((w) => t.run(() => service.search(w))));
    results.forEach((result, i) => {
      expect(result.total).toBe(1);
      expect(result.hits[0].titleHtml).toBe(`Concurrent <mark>${words[i]}</mark>`);
      expect(result.hits[0].snippetHtml).toContain(`Only <mark>${words[i]}</mark> is said here`);
    });
    // Each query takes its rows out again: the snippets' table is empty between queries.
    const [{ n }] = await t.app
      .get(EntityManager)
      .getConnection()
      .execute<{ n: number }[]>('SELECT count(*) AS n FROM temp.search_text');
    expect(n).toBe(0);
  });

  it('snippets a post found by its tags from the same tag text the index holds', async () => {
    // A phrase across two tag names matches only in the order the index wrote them; the snippets'
    // table must hold them in that order too, or the hit falls back to the unmarked excerpt.
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    // Apple exists first, so the tags' ids run opposite to the order the post names them in.
    await t.createPost({ title: 'Fruit', markdown: 'Orchard.', tags: ['Apple'], publishedAt: daysAgo(9) });
    await t.createPost({ title: 'Tagged twice', markdown: words, tags: ['Zebra', 'Apple'], publishedAt: daysAgo(2) });
    const service = t.app.get(SearchService);
    const found = [];
    for (const q of ['"apple zebra"', '"zebra apple"']) found.push(...(await t.run(() => service.search(q))).hits);
    expect(found).toHaveLength(1);
    // FTS5's snippet (24 tokens), not the 200-character excerpt of the fallback.
    expect(found[0].snippetHtml.split(' ').length).toBeLessThanOrEqual(25);
  });

  it('lists hits in rank order with each its own snippet, made from the whole body', async () => {
    // Older posts (lower ids) that match only deep in the body; a newer one with the word in its title.
    const filler = 'Nothing to see in this opening paragraph, which is long enough to fill the excerpt. '.repeat(4);
    const deep = await t.createPost({
      title: 'First deep',
      markdown: `${filler}\n\nAt the end: quokka once.`,
      publishedAt: daysAgo(5),
    });
    const deeper = await t.createPost({
      title: 'Second deep',
      markdown: `${filler}\n\nAt the end: quokka, quokka and quokka.`,
      publishedAt: daysAgo(4),
    });
    const titled = await t.createPost({ title: 'Quokka facts', markdown: 'Small marsupials.', publishedAt: daysAgo(3) });
    expect(deep.id).toBeLessThan(deeper.id);
    expect(deeper.id).toBeLessThan(titled.id);
    const result = await t.run(() => t.app.get(SearchService).search('quokka'));
    // bm25: the title match first, then the body with three matches, then the one with one.
    expect(result.hits.map((h) => h.slug)).toEqual([titled.slug, deeper.slug, deep.slug]);
    expect(result.hits[0].titleHtml).toBe('<mark>Quokka</mark> facts');
    expect(result.hits[1].snippetHtml).toContain('<mark>quokka</mark>, <mark>quokka</mark> and <mark>quokka</mark>');
    expect(result.hits[2].snippetHtml).toContain('<mark>quokka</mark> once');
  });
});

describe('search on a blog from before the contentless index', () => {
  const before = 'Migration20261203030000_webmention_lifecycle';
  let dir: string;
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the index over without re-rendering: every post is found and highlighted, and the copy is gone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-search-migration-'));
    const databasePath = join(dir, 'blog.db');
    const orm = await MikroORM.init(ormConfig(databasePath));
    try {
      await (await loadMigrator(orm)).up({ to: before });
    } finally {
      await orm.close();
    }
    const db = new Database(databasePath);
    const insert = db.prepare(
      `INSERT INTO post (slug, title, markdown, html, excerpt, status, published_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'published', ?, ?, ?)`,
    );
    const index = db.prepare('INSERT INTO post_search (rowid, title, body, tags) VALUES (?, ?, ?, ?)');
    const now = Date.now() - 60_000;
    for (let i = 1; i <= 30; i++) {
      const id = insert.run(
        `old-${i}`,
        `Old post ${i}`,
        `Word${i} lives here.`,
        `<p>Word${i} lives here.</p>`,
        `Word${i} lives here.`,
        now,
        now,
        now,
      ).lastInsertRowid;
      index.run(id, `Old post ${i}`, `Word${i} lives here.`, i % 2 ? 'Archive' : '');
    }
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'post_search_content'").pluck().get()).toBe(1);
    db.close();

    t = await startTestApp({ DATABASE_PATH: databasePath });
    for (const i of [1, 17, 30]) {
      const res = await request(t.server)
        .get('/search')
        .query({ q: `word${i}` })
        .expect(200);
      expect(res.text).toContain('1 result');
      expect(res.text).toContain(`<mark>Word${i}</mark> lives here`);
    }
    expect((await request(t.server).get('/search').query({ q: 'archive' }).expect(200)).text).toContain('15 results');
    const after = new Database(databasePath, { readonly: true });
    try {
      expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'post_search_content'").pluck().get()).toBe(0);
      expect(after.prepare('SELECT count(*) FROM post_search').pluck().get()).toBe(30);
    } finally {
      after.close();
    }
  });
});
