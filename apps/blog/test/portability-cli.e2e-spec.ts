import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { contentState, FIXTURES, rows, runCli } from './support/portability.js';
import type { IndexedPost } from './support/search-index.js';

// Each command is a Node process that boots Nest and migrates: about a second apiece on 2 cores.
jest.setTimeout(60_000);

/** `npm run import` and `npm run export` as processes on temporary database files. */
describe('import and export from the command line', () => {
  let dir: string;
  let n = 0;
  const freshDb = () => join(dir, `blog-${++n}.db`);
  const importInto = (db: string, ...args: string[]) => runCli('import', args, { DATABASE_PATH: db });
  const exportFrom = (db: string, out: string) => runCli('export', ['--out', out], { DATABASE_PATH: db });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-portability-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The blog the first tests fill (a Markdown folder, then a Ghost export) and the round trip exports. */
  let db: string;

  it('imports a Hugo/Jekyll/Eleventy folder: a dry run writes nothing, a second run changes nothing', async () => {
    db = freshDb();
    const site = join(FIXTURES, 'markdown-site');

    const dry = await importInto(db, site, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.output).toContain('Dry run of markdown-site');
    expect(dry.output).toContain('posts: 7 created, 0 updated, 0 unchanged');
    expect(dry.output).toContain('pages: 1 created');
    expect(dry.output).toMatch(/README\.md: no front matter, skipped/);
    expect(existsSync(db)).toBe(false); // a dry run against a blog that does not exist leaves none behind

    const real = await importInto(db, site);
    expect(real.code).toBe(0);
    expect(real.output).toContain('posts: 7 created, 0 updated, 0 unchanged');
    const after = contentState(db);

    type Row = { slug: string; status: string; published_at: number | null; title: string; html: string };
    const posts = new Map(rows<Row>(db, 'SELECT * FROM post').map((p) => [p.slug, p]));
    // Hugo TOML, a page bundle (folder name), Jekyll's dated file name, Eleventy, an explicit slug.
    expect([...posts.keys()].sort()).toEqual(
      ['bundled-post', 'draft-ideas', 'eleventy-post', 'jekyll-post', 'toml-post', 'unpublished', 'unsafe-markup'].sort(),
    );
    expect(posts.get('jekyll-post')).toMatchObject({ status: 'published', published_at: Date.parse('2022-02-03T13:15:00Z') });
    expect(posts.get('bundled-post')!.published_at).toBe(Date.parse('2023-07-02T06:30:00Z'));
    expect(posts.get('toml-post')!.published_at).toBe(Date.parse('2023-06-01T10:00:00Z'));
    expect(posts.get('draft-ideas')!.status).toBe('draft');
    expect(posts.get('unpublished')).toMatchObject({ status: 'draft', title: 'Not published yet' });
    expect(posts.get('jekyll-post')!.html).toMatch(/<table[ >]/);
    const tagsOf = (slug: string) =>
      rows<{ slug: string }>(
        db,
        'SELECT t.slug FROM tag t JOIN post_tags pt ON pt.tag_id = t.id JOIN post p ON p.id = pt.post_id WHERE p.slug = ? ORDER BY t.slug',
        slug,
      ).map((t) => t.slug);
    expect(tagsOf('toml-post')).toEqual(['hugo', 'static-sites']);
    expect(tagsOf('bundled-post')).toEqual(['hugo', 'notes']);
    expect(tagsOf('eleventy-post')).toEqual(['eleventy']);
    expect(tagsOf('jekyll-post')).toEqual(['jekyll', 'ruby']);
    const redirects = rows<{ from_slug: string; slug: string }>(
      db,
      'SELECT r.from_slug, p.slug FROM slug_redirect r JOIN post p ON p.id = r.post_id ORDER BY r.from_slug',
    );
    expect(redirects).toEqual([
      { from_slug: 'bundle-old', slug: 'bundled-post' },
      { from_slug: 'jekyll-old', slug: 'jekyll-post' },
      { from_slug: 'old-toml-post', slug: 'toml-post' },
    ]);
    expect(rows(db, 'SELECT slug, nav_order, status FROM page')).toEqual([{ slug: 'about', nav_order: 1, status: 'published' }]);
    // Sanitized exactly as the editor's text is.
    const unsafe = posts.get('unsafe-markup')!.html;
    expect(unsafe).toContain('Hello');
    expect(unsafe).not.toMatch(/<script|onerror|javascript:/i);
    expect(real.output).toMatch(/posts\/unsafe\.md: contains HTML that is not allowed/);
    // The search index knows the imported posts.
    expect(after.search.map((r) => (r as IndexedPost).title)).toContain('written with jekyll');

    const again = await importInto(db, site);
    expect(again.code).toBe(0);
    expect(again.output).toContain('posts: 0 created, 0 updated, 7 unchanged');
    expect(contentState(db)).toEqual(after);
  });

  it('imports a Ghost export with its tags, dates, statuses, pages and settings, and converts its HTML', async () => {
    const result = await importInto(db, join(FIXTURES, 'ghost-export.json'));
    expect(result.code).toBe(0);
    expect(result.output).toContain('Imported ghost-export.json (a Ghost export)');
    expect(result.output).toContain('posts: 4 created');
    expect(result.output).toContain('images stay at their Ghost addresses');

    type Row = {
      slug: string;
      status: string;
      published_at: number | null;
      created_at: number;
      updated_at: number;
      markdown: string;
      html: string;
    };
    const posts = new Map(rows<Row>(db, 'SELECT * FROM post').map((p) => [p.slug, p]));
    const ghost = posts.get('coming-from-ghost')!;
    expect(ghost).toMatchObject({
      status: 'published',
      published_at: Date.parse('2024-11-20T12:00:00Z'),
      created_at: Date.parse('2024-11-20T09:00:00Z'),
      updated_at: Date.parse('2024-11-21T10:30:00Z'),
    });
    expect(ghost.markdown).toContain('## Why move');
    expect(ghost.markdown).toContain('**good**');
    expect(ghost.markdown).toContain('[links](https://example.com/)');
    expect(ghost.markdown).toMatch(/\| Plan \| Price \|/); // GFM table
    expect(ghost.markdown).toContain('![A harbour](/content/images/2024/11/harbour.jpg)');
    expect(ghost.markdown).toContain("```js\nconsole.log('hi');\n```");
    expect(posts.get('lexical-only')).toMatchObject({ status: 'draft', published_at: null });
    expect(posts.get('lexical-only')!.markdown).toBe(
      'Written in the **new** editor.\n\nA **markdown card** with a [link](https://example.org/).\n\n## A heading',
    );
    // Scheduled in Ghost: published with a future date, i.e. scheduled here too.
    expect(posts.get('mobiledoc-days')).toMatchObject({ status: 'published', published_at: Date.parse('2099-01-01T00:00:00Z') });
    expect(posts.get('mobiledoc-days')!.markdown).toContain('Read [the docs](https://ghost.org/) and be **bold**');
    expect(posts.get('mobiledoc-days')!.markdown).toContain('From the *old* editor.');
    const careful = posts.get('careful-html')!.html;
    expect(careful).toContain('Before.');
    expect(careful).not.toMatch(/<script|alert\('ghost'\)|onerror|href="javascript:|<iframe/i);

    const tags = rows<{ slug: string; name: string }>(
      db,
      `SELECT t.slug, t.name FROM tag t JOIN post_tags pt ON pt.tag_id = t.id JOIN post p ON p.id = pt.post_id WHERE p.slug = 'coming-from-ghost' ORDER BY t.slug`,
    );
    expect(tags).toEqual([
      { slug: 'ghost', name: 'Ghost' },
      { slug: 'migration', name: 'Migration' },
    ]); // the internal #feature tag is left out
    expect(rows(db, 'SELECT slug, status FROM page ORDER BY slug')).toEqual([
      { slug: 'about', status: 'published' },
      { slug: 'colophon', status: 'published' },
    ]);
    const settings = Object.fromEntries(
      rows<{ key: string; value: string }>(db, 'SELECT * FROM setting').map((s) => [s.key, JSON.parse(s.value)]),
    );
    expect(settings).toMatchObject({ title: 'Harbour Notes', description: 'Boats, mostly.', language: 'en' });

    const before = contentState(db);
    const again = await importInto(db, join(FIXTURES, 'ghost-export.json'));
    expect(again.output).toContain('posts: 0 created, 0 updated, 4 unchanged');
    expect(again.output).toContain('settings: unchanged');
    expect(contentState(db)).toEqual(before);
  });

  describe('refuses bad input with a message naming the file, and changes nothing', () => {
    // More bad files (versions, duplicate slugs, a bad record late in a file) go through the admin spec.
    let before: Record<string, unknown[]>;
    beforeEach(() => (before = contentState(db)));
    afterEach(() => expect(contentState(db)).toEqual(before));

    it('malformed JSON', async () => {
      const file = join(dir, 'broken.json');
      writeFileSync(file, '{"format": "inkstone", "posts": [');
      const result = await importInto(db, file);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/Import refused: broken\.json: this is not valid JSON .*\nNothing was changed\./);
      expect(result.output).not.toMatch(/\n\s+at /); // no stack trace
    });

    it('a 2 GB file, by its size, without reading it', async () => {
      const file = join(dir, 'huge.json');
      const fd = openSync(file, 'w');
      ftruncateSync(fd, 2 * 1024 ** 3); // sparse: no disk used
      closeSync(fd);
      const result = await importInto(db, file);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/huge\.json: 2048 MB is more than an import may be \(100 MB\)/);
    });
  });

  it('round trip: export → import into an empty blog → export is identical but for exportedAt', async () => {
    const source = db;
    const first = join(dir, 'first.json');
    const second = join(dir, 'second.json');
    expect((await exportFrom(source, first)).code).toBe(0);

    const target = freshDb();
    const imported = await importInto(target, first);
    expect(imported.code).toBe(0);
    expect(imported.output).toContain('posts: 11 created');
    expect((await exportFrom(target, second)).code).toBe(0);

    const [a, b] = [readFileSync(first, 'utf8'), readFileSync(second, 'utf8')];
    expect(b).not.toBe(a); // exportedAt differs …
    expect(b.replace(/"exportedAt": "[^"]+"/, '')).toBe(a.replace(/"exportedAt": "[^"]+"/, '')); // … and only it
    const doc = JSON.parse(a);
    expect(doc).toMatchObject({ format: 'inkstone', version: 1 });
    expect(doc.posts).toHaveLength(11);
    expect(doc.posts.find((p: { slug: string }) => p.slug === 'jekyll-post')).toMatchObject({
      redirects: ['jekyll-old'],
      tags: ['jekyll', 'ruby'],
    });
  });

  it('export refuses a missing database', async () => {
    const missing = await exportFrom(join(dir, 'nope.db'), join(dir, 'x.json'));
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/There is no database at .*nope\.db/);
  });
});
