import { contentOnSqlite, type ContentOnSqlite } from '../../../../apps/blog/test/support/content-on-sqlite.js';
import { Page, Post, Revision, SlugRedirect } from '../entities/index.js';
import { PostsService } from '../posts.service.js';
import { SearchService } from '../search.service.js';
import { ImportService } from './importer.js';
import { readImport } from './read-import.js';

const md = (path: string, text: string) => ({ path, text });
const site = () =>
  readImport('site', [
    md(
      '_posts/2020-05-06-first.md',
      '---\ntitle: First words\ntags: [Boats, Sea]\nredirect_from: /old-first.html\n---\nHello *sea*.',
    ),
    md('_posts/2021-01-02-second.md', '---\ntitle: Second\n---\nMore text.'),
    md('about.md', '---\ntitle: About\nlayout: page\n---\nMe.'),
  ]);

describe('ImportService, on a real database', () => {
  let db: ContentOnSqlite;
  let importer: ImportService;
  const count = (entity: typeof Post | typeof Page | typeof Revision | typeof SlugRedirect) => db.em.fork().count(entity);

  beforeEach(async () => {
    db = await contentOnSqlite();
    importer = db.get(ImportService);
  });
  afterEach(() => db.close());

  it('a dry run reports what would change and writes nothing', async () => {
    const report = await db.run(() => importer.run(site(), { dryRun: true }));
    expect(report.dryRun).toBe(true);
    expect(report.posts).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(report.pages).toEqual({ created: 1, updated: 0, unchanged: 0 });
    expect([await count(Post), await count(Page), await count(Revision)]).toEqual([0, 0, 0]);
  });

  it('writes posts, pages, tags, old slugs, revisions and the search index, as the editor would', async () => {
    const report = await db.run(() => importer.run(site()));
    expect(report.posts).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(report.tags.created).toBe(2);
    const first = (await db.run(() => db.get(PostsService).findVisibleBySlug('first')))!;
    expect(first.html).toContain('<em>sea</em>');
    expect(first.publishedAt?.toISOString()).toBe('2020-05-06T00:00:00.000Z');
    expect(
      first.tags
        .getItems()
        .map((t) => t.slug)
        .sort(),
    ).toEqual(['boats', 'sea']);
    expect(await db.run(() => db.get(PostsService).redirectFor('old-first'))).toBe('first');
    expect(await count(Revision)).toBeGreaterThanOrEqual(2);
    expect((await db.run(() => db.get(SearchService).search('sea'))).hits.map((h) => h.slug)).toEqual(['first']);
  });

  it('running the same import twice changes nothing the second time', async () => {
    await db.run(() => importer.run(site()));
    const revisions = await count(Revision);
    const again = await db.run(() => importer.run(site()));
    expect(again.posts).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(again.pages).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(await count(Revision)).toBe(revisions);
  });

  it("makes no redirect from an old address that is another post's slug, and says so", async () => {
    const bundle = readImport('site', [
      md('_posts/2020-05-06-first.md', '---\ntitle: First\nredirect_from: [/second.html, /gone.html]\n---\nA.'),
      md('_posts/2021-01-02-second.md', '---\ntitle: Second\n---\nB.'),
    ]);
    const report = await db.run(() => importer.run(bundle));
    expect(report.warnings.join('\n')).toContain('the old address "second" is another post\'s slug; no redirect made.');
    const posts = db.get(PostsService);
    expect(await db.run(() => posts.redirectFor('gone'))).toBe('first');
    expect(await db.run(() => posts.findVisibleBySlug('second'))).not.toBeNull();
    expect(await count(SlugRedirect)).toBe(1);
  });

  it('is all or nothing: one bad record refuses the whole import', async () => {
    const bundle = site();
    bundle.posts.push({ ...bundle.posts[0], slug: 'broken', title: '' });
    await expect(db.run(() => importer.run(bundle))).rejects.toThrow();
    expect([await count(Post), await count(Page)]).toEqual([0, 0]);
  });

  it("writes a source's summary as what readers see; a longer one than this blog keeps is cut at a word, and said", async () => {
    const bundle = site();
    bundle.posts[0].summary = `Lead  line\n${'word '.repeat(400)}`;
    bundle.posts[1].summary = 'Short, by hand.';
    const report = await db.run(() => importer.run(bundle));
    const posts = db.em.fork();
    const first = (await posts.findOne(Post, { slug: 'first' }))!;
    expect(first.summary.startsWith('Lead line word word')).toBe(true);
    expect(first.summary.length).toBeLessThanOrEqual(1000);
    expect(first.summary.endsWith('word…')).toBe(true);
    expect(first.excerpt).toBe(first.summary);
    expect((await posts.findOne(Post, { slug: 'second' }))!.excerpt).toBe('Short, by hand.');
    expect(report.warnings).toContain(
      'site, _posts/2020-05-06-first.md: its excerpt is longer than 1000 characters; the summary keeps its start.',
    );
    // A source without a summary leaves the one here alone, and the second run changes nothing.
    const again = await db.run(() => importer.run(site()));
    expect(again.posts).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect((await db.em.fork().findOne(Post, { slug: 'second' }))!.excerpt).toBe('Short, by hand.');
  });

  it('refuses a summary over the bound in our own export, naming the record', async () => {
    const bundle = { ...site(), format: 'inkstone' as const };
    bundle.posts[1].summary = 'x'.repeat(1001);
    await expect(db.run(() => importer.run(bundle))).rejects.toThrow(
      'site, _posts/2021-01-02-second.md: The summary is longer than 1000 characters.',
    );
  });
});
