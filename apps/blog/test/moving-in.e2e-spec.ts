import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import request from 'supertest';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { bytes } from './support/media-http.js';
import { jpeg, png } from './support/media-images.js';
import { contentState, FIXTURES, rows, runCli } from './support/portability.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { zip } from './support/zip.js';

jest.setTimeout(60_000);

const WXR = join(FIXTURES, 'wordpress', 'wordpress.2024-06-01.xml');

/** A WordPress uploads folder as people download it: originals beside WordPress's resized copies. */
const uploadsZip = () =>
  zip([
    { name: 'uploads/2024/05/harbour.jpg', data: jpeg(64, 48, 3) },
    { name: 'uploads/2024/05/harbour-300x200.jpg', data: jpeg(30, 20, 5) },
    { name: 'uploads/2024/05/lighthouse.png', data: png(40, 30, 90) },
    { name: 'uploads/2024/05/dunes.jpg', data: jpeg(48, 32, 7) },
    { name: 'uploads/2024/05/tide-tables.pdf', data: Buffer.from('%PDF-1.4 tide tables') },
  ]);

/** Moving in through the admin's import form: an export with its images beside it, as files or a zip. */
describe('moving in: WordPress and Ghost with their images, through the admin', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;

  const upload = (files: { path: string; data: Buffer }[], opts: { dryRun?: boolean } = {}) => {
    let req = agent.post(`/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`);
    for (const f of files)
      req = req.attach('files', f.data, { filepath: f.path, contentType: 'application/octet-stream' } as { contentType: string });
    return opts.dryRun ? req.field('dryRun', '1') : req;
  };
  const wordpress = () => [
    { path: 'wordpress.2024-06-01.xml', data: readFileSync(WXR) },
    { path: 'uploads.zip', data: uploadsZip() },
  ];
  const media = () =>
    rows<{ id: number; filename: string; width: number }>(t.databasePath, 'SELECT id, filename, width FROM media ORDER BY id');

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  it('imports a WordPress export with a zip of its uploads: posts, pages, tags, images, links; a second run changes nothing', async () => {
    const dry = await upload(wordpress(), { dryRun: true }).expect(200);
    expect(dry.text).toContain('Dry run of wordpress.2024-06-01.xml (2 files) (a WordPress export)');
    expect(dry.text).toContain('images: 3 created');
    expect(media()).toEqual([]);

    const real = await upload(wordpress()).expect(200);
    expect(real.text).toContain('posts: 7 created, 0 updated, 0 unchanged');
    expect(real.text).toContain('pages: 3 created');
    expect(real.text).toContain('images: 3 created');
    expect(real.text).toContain('2 comments left out (this blog has no comments)');
    expect(real.text).toContain('post 24 (only-for-me): private in WordPress; imported as a draft.');
    // The originals, not WordPress's 30×20 copy.
    expect(media().map((m) => [m.filename, m.width])).toEqual([
      ['harbour.jpg', 64],
      ['lighthouse.png', 40],
      ['dunes.jpg', 48],
    ]);
    const [harbour, , dunes] = media();

    const hello = await request(t.server).get('/posts/hello-from-wordpress').expect(200);
    expect(hello.text).toContain(`/media/${dunes.id}/`); // the featured image
    expect(hello.text).toContain(`/media/${harbour.id}/`);
    expect(hello.text).toContain('href="/posts/classic-times"');
    expect(hello.text).toContain('href="/team"');
    expect(hello.text).not.toContain('oldblog.example/wp-content');
    const image = await request(t.server).get(`/media/${harbour.id}/harbour.jpg`).buffer(true).parse(bytes).expect(200);
    expect((image.body as Buffer).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    await request(t.server).get('/posts/next-spring-tide').expect(404); // scheduled: not yet
    await request(t.server).get('/posts/only-for-me').expect(404); // private: a draft
    expect((await request(t.server).get('/team').expect(200)).text).toContain('Two keepers and a cat.');
    expect((await request(t.server).get('/tags/coast-harbours').expect(200)).text).toContain('Hello from WordPress');
    // The hand-written excerpt is the post's summary; the menu: its pages in place, then its links.
    const home = (await request(t.server).get('/').expect(200)).text;
    expect(home).toMatch(/href="\/posts\/hello-from-wordpress"[\s\S]*?p-summary">A hand-written summary\.<\/p>/);
    expect(hello.text).toContain('<meta name="description" content="A hand-written summary.">');
    const menu = /<ul class="nav">([\s\S]*?)<\/ul>/.exec(home)![1].match(/<a href="[^"]*">[^<]*<\/a>/g);
    expect(menu).toEqual([
      '<a href="/about">About</a>',
      '<a href="/page-search">Search</a>',
      '<a href="/">Home</a>',
      '<a href="/tags/coast-harbours">Coast &amp; Harbours</a>',
      '<a href="/posts/hello-from-wordpress">Start here</a>',
      '<a href="https://github.com/lighthouse-keeper">GitHub</a>',
      '<a href="/tags">Tags</a>',
    ]);
    expect(real.text).toContain('menu &quot;Main&quot;: items left out: &quot;Team&quot; (a sub-menu item');

    const before = contentState(t.databasePath);
    const redirects = rows(t.databasePath, 'SELECT from_path, to_path FROM path_redirect ORDER BY from_path');
    const again = await upload(wordpress()).expect(200);
    expect(again.text).toContain('posts: 0 created, 0 updated, 7 unchanged');
    expect(again.text).toMatch(/old addresses \(301 to the new ones\): 0 created, 0 updated, \d+ unchanged/);
    expect(rows(t.databasePath, 'SELECT from_path, to_path FROM path_redirect ORDER BY from_path')).toEqual(redirects);
    expect(again.text).toContain('images: 0 created, 0 updated, 3 unchanged');
    expect(contentState(t.databasePath)).toEqual(before);
  });

  it('after a WordPress import, the old addresses answer 301 to the new ones, and never shadow a route', async () => {
    const moved = async (from: string, to: string) => {
      const res = await request(t.server).get(from).expect(301);
      expect([from, res.headers.location]).toEqual([from, to]);
    };
    await moved('/2024/05/12/hello-from-wordpress/', '/posts/hello-from-wordpress'); // the permalink in the export
    await moved('/2024/05/12/hello-from-wordpress', '/posts/hello-from-wordpress');
    await moved('/2024/05/hello-from-wordpress/', '/posts/hello-from-wordpress'); // the other date permalink
    await moved('/?p=20', '/posts/classic-times');
    await moved('/?page_id=31', '/team');
    await moved('/about/team/', '/team'); // a nested page
    await moved('/category/places/coast/', '/tags/coast-harbours');
    await moved('/category/coast/', '/tags/coast-harbours');
    await moved('/tag/photos/', '/tags/photos');
    await moved('/feed/', '/feed.xml');
    await moved('/author/keeper/', '/');
    // What readers could not reach in WordPress is not reachable now either.
    await request(t.server).get('/2024/04/02/only-for-me/').expect(404);
    await request(t.server).get('/?p=22').expect(200); // the home page, as WordPress showed for a draft
    // Routes win: the page at /about, the home page, the feed itself.
    expect((await request(t.server).get('/about/').expect(200)).text).toContain('I keep the light.');
    await request(t.server).get('/feed.xml').expect(200);
    await request(t.server).get('/no/such/thing/').expect(404);
  });

  it('the author sees, tests, adds and removes redirects in the admin', async () => {
    const page = await agent.get('/admin/redirects').expect(200);
    expect(page.text).toContain('<a href="/admin/redirects">Redirects</a>');
    expect(page.text).toContain('<code>/2024/05/12/hello-from-wordpress</code>');
    const tested = await agent.get('/admin/redirects?test=/2024/05/12/Hello-From-WordPress/').expect(200);
    expect(tested.text).toMatch(/answers 301 to\s+<a href="\/posts\/hello-from-wordpress">/);
    const none = await agent.get('/admin/redirects?test=/nothing-here/').expect(200);
    expect(none.text).toContain('No\n    redirect for <code>/nothing-here/</code>');

    const form = (fields: Record<string, string>, token: string | null = csrf) =>
      agent
        .post('/admin/redirects' + (fields.remove ? '/delete' : ''))
        .type('form')
        .send({ ...(token ? { _csrf: token } : {}), ...fields });
    await form({ from: '/old-about/', to: '/about' }).expect(303).expect('Location', '/admin/redirects?notice=redirect-saved');
    await request(t.server).get('/old-about/').expect(301).expect('Location', '/about');
    await form({ from: '/sneaky/', to: '/about' }, null).expect(403);
    const offsite = await form({ from: '/away/', to: '//evil.example/' }).expect(400);
    expect(offsite.text).toContain('The new address must be a path of this blog');
    const loop = await form({ from: '/about-me', to: '/About-me/' }).expect(400);
    expect(loop.text).toContain('An address cannot redirect to itself.');
    await request(t.server).get('/away/').expect(404);
    await request(t.server).get('/sneaky/').expect(404);
    await form({ remove: '1', from: '/old-about/' }).expect(303).expect('Location', '/admin/redirects?notice=redirect-removed');
    await request(t.server).get('/old-about/').expect(404);
  });

  it('moving out keeps them: the export carries the redirect table, and an import of it answers the same', async () => {
    const exported = await agent.get('/admin/backup/export').expect(200);
    const doc = JSON.parse(exported.text);
    expect(doc.redirects).toContainEqual({ from: '/2024/05/12/hello-from-wordpress', to: '/posts/hello-from-wordpress' });
    expect(doc.redirects).toContainEqual({ from: '/?p=20', to: '/posts/classic-times' });
    const other = await startTestApp();
    try {
      const admin = await loggedInAgent(other);
      await admin.agent
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(admin.csrf)}`)
        .attach('files', Buffer.from(exported.text), { filepath: 'blog.json', contentType: 'application/json' } as {
          contentType: string;
        })
        .expect(200);
      await request(other.server)
        .get('/2024/05/12/hello-from-wordpress/')
        .expect(301)
        .expect('Location', '/posts/hello-from-wordpress');
      await request(other.server).get('/?p=20').expect(301).expect('Location', '/posts/classic-times');
    } finally {
      await other.close();
    }
  });

  it('imports a Ghost export with its content/images zip: inline and feature images, internal links', async () => {
    const doc = JSON.parse(readFileSync(join(FIXTURES, 'ghost-export.json'), 'utf8'));
    const post = doc.db[0].data.posts[0];
    post.feature_image = '__GHOST_URL__/content/images/2024/11/bow.png';
    post.html +=
      '<p>More in <a href="__GHOST_URL__/careful-html/">the careful post</a>, or <a href="__GHOST_URL__/tag/ghost/">all Ghost posts</a>.</p>';
    post.html = post.html.replace('/content/images/2024/11/harbour.jpg', '/content/images/size/w600/2024/11/harbour.jpg');
    doc.db[0].data.posts_meta = [{ id: 'm1', post_id: post.id, feature_image_alt: 'The bow' }];
    const images = zip([
      { name: 'content/images/2024/11/harbour.jpg', data: jpeg(56, 40, 9) },
      { name: 'content/images/2024/11/bow.png', data: png(20, 20, 33) },
    ]);
    const res = await upload([
      { path: 'ghost-export.json', data: Buffer.from(JSON.stringify(doc)) },
      { path: 'images.zip', data: images },
    ]).expect(200);
    expect(res.text).toContain('(a Ghost export)');
    expect(res.text).toContain('images: 2 created');
    expect(res.text).not.toContain('images stay at their Ghost addresses');
    const [row] = rows<{ markdown: string }>(t.databasePath, "SELECT markdown FROM post WHERE slug = 'coming-from-ghost'");
    expect(row.markdown).toMatch(/^!\[The bow\]\(\/media\/\d+\/bow\.png\)\n\n## Why move/);
    expect(row.markdown).toMatch(/!\[A harbour\]\(\/media\/\d+\/harbour\.jpg\)/);
    expect(row.markdown).toContain('[the careful post](/posts/careful-html)');
    expect(row.markdown).toContain('[all Ghost posts](/tags/ghost)');
    expect(row.markdown).not.toContain('content/images');
    await request(t.server).get('/coming-from-ghost/').expect(301).expect('Location', '/posts/coming-from-ghost');
    await request(t.server).get('/tag/ghost/').expect(301).expect('Location', '/tags/ghost');
    await request(t.server).get('/rss/').expect(301).expect('Location', '/feed.xml');
  });

  describe('refuses bad input, naming the file and the record, and changes nothing', () => {
    let before: Record<string, unknown[]>;
    beforeEach(() => (before = contentState(t.databasePath)));
    afterEach(() => expect(contentState(t.databasePath)).toEqual(before));

    const withUploads = (entries: Parameters<typeof zip>[0]) => [
      { path: 'wordpress.2024-06-01.xml', data: readFileSync(WXR) },
      { path: 'uploads.zip', data: zip(entries) },
    ];

    it('malformed XML, and XML declaring entities', async () => {
      const broken = await upload([
        { path: 'wp.xml', data: Buffer.from(readFileSync(WXR, 'utf8').replace('</channel>', '')) },
      ]).expect(400);
      expect(broken.text).toMatch(/Import refused: wp\.xml, wp\.xml: is not well-formed XML \(line \d+/);
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' +
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&b;</title></channel></rss>';
      const entities = await upload([{ path: 'laughs.xml', data: Buffer.from(laughs) }]).expect(400);
      expect(entities.text).toContain('laughs.xml: declares a DOCTYPE or entities');
    });

    it('a zip escaping its folder, and a zip bomb', async () => {
      const escape = await upload(withUploads([{ name: '../../harbour.jpg', data: jpeg(8, 8) }])).expect(400);
      expect(escape.text).toMatch(/Import refused: .*uploads\.zip: this zip cannot be read/);
      const bomb = await upload(
        withUploads([{ name: 'uploads/2024/05/harbour.jpg', data: Buffer.alloc(8 * 1024 * 1024) }]),
      ).expect(400);
      expect(bomb.text).toContain('uploads.zip: uploads/2024/05/harbour.jpg expands more than 100 times: refused as a zip bomb.');
    });

    it('an image that is not one', async () => {
      const res = await upload(
        withUploads([{ name: 'uploads/2024/05/harbour.jpg', data: Buffer.from('<html>not a jpeg</html>') }]),
      ).expect(400);
      expect(res.text).toMatch(/Import refused: .*uploads\/2024\/05\/harbour\.jpg: /);
      expect(res.text).toContain('Nothing was changed.');
    });
  });
});

/** `npm run import -- export.xml uploads/`: the uploads as a folder given beside the file. */
describe('moving in from the command line', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'inkstone-moving-in-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a WordPress export with its wp-content/uploads folder, and reports what it left out', async () => {
    const uploads = join(dir, 'wp-content', 'uploads');
    mkdirSync(join(uploads, '2024', '05'), { recursive: true });
    writeFileSync(join(uploads, '2024', '05', 'harbour.jpg'), jpeg(64, 48, 3));
    writeFileSync(join(uploads, '2024', '05', 'harbour-300x200.jpg'), jpeg(30, 20, 5));
    writeFileSync(join(uploads, '2024', '05', 'lighthouse.png'), png(40, 30, 90));
    const db = join(dir, 'blog.db');
    const result = await runCli('import', [WXR, uploads], { DATABASE_PATH: db });
    expect(result.output).toContain('Imported wordpress.2024-06-01.xml (a WordPress export):');
    expect(result.code).toBe(0);
    expect(result.output).toContain('posts: 7 created');
    expect(result.output).toContain('images: 2 created');
    expect(result.output).toMatch(/warning: .*2 images were not in the uploads given .*2024\/05\/dunes\.jpg/);
    expect(result.output).toMatch(
      /warning: .*1 linked files are not images and stay at their old addresses: 2024\/05\/tide-tables\.pdf/,
    );
    expect(rows(db, 'SELECT filename, width FROM media ORDER BY filename')).toEqual([
      { filename: 'harbour.jpg', width: 64 },
      { filename: 'lighthouse.png', width: 40 },
    ]);
  });

  it('imports a Hugo/Jekyll site as it is written: shortcodes and Liquid tags converted, page bundles and static images brought in', async () => {
    const site = join(dir, 'hugo-site');
    cpSync(join(FIXTURES, 'hugo-site'), site, { recursive: true });
    writeFileSync(join(site, 'content', 'posts', 'harbour-walk', 'boats.png'), png(24, 16, 61));
    mkdirSync(join(site, 'static', 'images'), { recursive: true });
    writeFileSync(join(site, 'static', 'images', 'harbour.jpg'), jpeg(40, 24, 4));
    mkdirSync(join(site, 'themes', 'ananke', 'images'), { recursive: true });
    writeFileSync(join(site, 'themes', 'ananke', 'images', 'logo.png'), png(8, 8, 1)); // the theme's: not the author's
    const db = join(dir, 'hugo.db');
    const result = await runCli('import', [site], { DATABASE_PATH: db });
    expect(result.code).toBe(0);
    expect(result.output).toContain('posts: 5 created');
    expect(result.output).toContain('images: 2 created');
    expect(result.output).toContain(
      'warning: hugo-site, content/posts/shortcodes.md, line 21: {{< newsletter-signup >}} has no meaning here; left out of the page.',
    );
    expect(result.output).toContain(
      'warning: hugo-site, _posts/2022-04-01-liquid-tags.md, line 12: {% include %} has no meaning here',
    );
    const markdown = (slug: string) =>
      rows<{ markdown: string }>(db, 'SELECT markdown FROM post WHERE slug = ?', slug)[0].markdown;
    const shortcodes = markdown('shortcodes');
    expect(shortcodes).toContain('[the TOML post](/posts/toml-post) and [the walk](/posts/harbour-walk#why)');
    expect(shortcodes).toMatch(/!\[A harbour\]\(\/media\/\d+\/harbour\.jpg\)\n\n_Morning light_/);
    expect(shortcodes).toContain('[Gist spf13/7896402](https://gist.github.com/spf13/7896402)');
    expect(shortcodes).toContain('(https://www.youtube.com/watch?v=w7Ft2ymGmfc)');
    expect(shortcodes).toContain('(https://x.com/SanDiegoZoo/status/1453110110599868418)');
    expect(shortcodes).toContain('```go\nfmt.Println("hi")\n```');
    expect(shortcodes).not.toContain('newsletter');
    expect(shortcodes).toContain('{{< gist spf13 7896402 >}} is how the gist above is written.'); // Hugo's escape, in code
    expect(markdown('liquid-tags')).toContain('[the Jekyll post](/posts/jekyll-post)');
    expect(markdown('liquid-tags')).toContain('```ruby\nputs "hi"\n```');
    expect(markdown('harbour-walk')).toMatch(/!\[Boats at the quay\]\(\/media\/\d+\/boats\.png\)/);
    expect(rows(db, 'SELECT filename FROM media ORDER BY filename')).toEqual([
      { filename: 'boats.png' },
      { filename: 'harbour.jpg' },
    ]);
  });
});
