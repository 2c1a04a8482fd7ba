import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import request from 'supertest';

import { MediaService, SettingsService } from '@app/content';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { bytes } from './support/media-http.js';
import { png } from './support/media-images.js';
import { contentState, FIXTURES, withoutExportedAt } from './support/portability.js';
import { freePort, type RunningProcess, startMain, waitForHttp } from './support/process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(30_000);

/** Any response body as raw bytes. */

/** The fixture folder as a browser sends a chosen folder: one part per file, named by its path. */
function folderParts(folder: string): { path: string; data: Buffer }[] {
  return (readdirSync(folder, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.md'))
    .map((name) => ({ path: `markdown-site/${relative(folder, join(folder, name))}`, data: readFileSync(join(folder, name)) }));
}

describe('admin: Backup & import', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;
  let imageUrl: string;
  let image: Buffer;

  const upload = (files: { path: string; data: Buffer }[], opts: { dryRun?: boolean; token?: string | null } = {}) => {
    const token = opts.token === undefined ? csrf : opts.token;
    let req = agent.post(`/admin/backup/import${token === null ? '' : `?_csrf=${encodeURIComponent(token)}`}`);
    for (const f of files)
      // form-data cuts `filename` down to its base name; its `filepath` option (untyped here) keeps the path.
      req = req.attach('files', f.data, { filepath: f.path, contentType: 'text/markdown' } as { contentType: string });
    return opts.dryRun ? req.field('dryRun', '1') : req;
  };
  const jsonFile = (name: string, doc: unknown) => [
    { path: name, data: Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)) },
  ];

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
    image = png(6, 4, 77);
    const stored = await t.run(() => t.app.get(MediaService).upload(image, 'Harbour.png'));
    imageUrl = `/media/${stored.id}/${stored.filename}`;
    const post = await t.createPost({
      title: 'First words',
      markdown: `Hello.\n\n![A harbour](${imageUrl})`,
      tags: ['Boats', 'Sea'],
    });
    await t.run(() =>
      t.services.posts.update(post.id, {
        title: 'First words',
        slug: 'first-words-renamed',
        markdown: 'Hello again.',
        status: 'published',
        tags: ['Boats'],
      }),
    );
    await t.createPost({ title: 'A draft', status: 'draft', markdown: 'Soon.' });
    await t.createPage({ title: 'About', markdown: 'Me.', navOrder: 1 });
    await t.run(() => t.app.get(SettingsService).update({ title: 'Round Trip Blog', description: 'Exported and back.' }));
  });
  afterAll(() => t.close());

  it('is linked from the admin menu and offers the export, the snapshot and an import form with its CSRF token', async () => {
    const dashboard = await agent.get('/admin').expect(200);
    expect(dashboard.text).toContain('<a href="/admin/backup">Backup &amp; import</a>');
    const page = await agent.get('/admin/backup').expect(200);
    expect(page.text).toContain('href="/admin/backup/export"');
    expect(page.text).toContain('href="/admin/backup/database"');
    expect(page.text).toMatch(/action="\/admin\/backup\/import\?_csrf=[^"]+" enctype="multipart\/form-data"/);
    expect(page.text).toContain('name="dryRun"');
    await request(t.server).get('/admin/backup/export').expect(303); // to the login page
  });

  it('exports the whole blog as a download, images inline; the file imports into an empty blog and exports the same', async () => {
    const res = await agent
      .get('/admin/backup/export')
      .expect(200)
      .expect('Content-Type', /application\/json/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="inkstone-export-\d{4}-\d\d-\d\d\.json"$/);
    expect(res.headers['transfer-encoding']).toBe('chunked'); // streamed, not built whole then sent
    const doc = JSON.parse(res.text);
    expect(doc).toMatchObject({ format: 'inkstone', version: 1, settings: { title: 'Round Trip Blog' } });
    const post = doc.posts.find((p: { slug: string }) => p.slug === 'first-words-renamed');
    expect(post).toMatchObject({ tags: ['Boats'], redirects: ['first-words'], markdown: 'Hello again.' });
    expect(post.revisions.map((r: { markdown: string }) => r.markdown)).toEqual([
      `Hello.\n\n![A harbour](${imageUrl})`,
      'Hello again.',
    ]);
    expect(Buffer.from(doc.media[0].data, 'base64').equals(image)).toBe(true);

    const empty = await startTestApp();
    try {
      const admin = await loggedInAgent(empty);
      const imported = await admin.agent
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(admin.csrf)}`)
        .attach('files', Buffer.from(res.text), { filename: 'export.json', contentType: 'application/json' })
        .expect(200);
      expect(imported.text).toContain('Imported export.json (an Inkstone export)');
      expect(imported.text).toContain('posts: 2 created, 0 updated, 0 unchanged');
      const again = await admin.agent.get('/admin/backup/export').expect(200);
      expect(withoutExportedAt(again.text)).toBe(withoutExportedAt(res.text));
      // The imported blog works: new settings (the cached copy was dropped), the old slug's 301, the image.
      expect((await request(empty.server).get('/').expect(200)).text).toContain('Round Trip Blog');
      await request(empty.server).get('/posts/first-words').expect(301).expect('Location', '/posts/first-words-renamed');
      const served = await request(empty.server).get(imageUrl).buffer(true).parse(bytes).expect(200);
      expect((served.body as Buffer).equals(image)).toBe(true);
      const found = await request(empty.server).get('/search?q=again').expect(200);
      expect(found.text).toContain('/posts/first-words-renamed');
    } finally {
      await empty.close();
    }
  });

  it('imports a Ghost export: the dry run reports and writes nothing, the import writes, sanitized', async () => {
    const ghost = [{ path: 'ghost-export.json', data: readFileSync(join(FIXTURES, 'ghost-export.json')) }];
    const before = contentState(t.databasePath);
    const dry = await upload(ghost, { dryRun: true }).expect(200);
    expect(dry.text).toContain('Dry run of ghost-export.json (a Ghost export): nothing was written');
    expect(dry.text).toContain('posts: 4 created, 0 updated, 0 unchanged');
    expect(dry.text).toContain('settings: updated');
    expect(contentState(t.databasePath)).toEqual(before);

    const real = await upload(ghost).expect(200);
    expect(real.text).toContain('Imported ghost-export.json');
    expect(real.text).toContain('careful-html): contains HTML that is not allowed');
    const post = await request(t.server).get('/posts/coming-from-ghost').expect(200);
    expect(post.text).toContain('<strong>good</strong>');
    expect(post.text).toContain('href="/tags/ghost"');
    const careful = await request(t.server).get('/posts/careful-html').expect(200);
    expect(careful.text).toContain('Before.');
    expect(careful.text).not.toMatch(/<script>alert|onerror=|href="javascript:|<iframe/i);
    expect((await request(t.server).get('/').expect(200)).text).toContain('Harbour Notes'); // settings took effect

    const rerun = await upload(ghost).expect(200);
    expect(rerun.text).toContain('posts: 0 created, 0 updated, 4 unchanged');
  });

  it('imports a folder of Markdown files chosen in the browser', async () => {
    const res = await upload(folderParts(join(FIXTURES, 'markdown-site'))).expect(200);
    expect(res.text).toContain('Imported markdown-site (9 files) (a folder of Markdown files)');
    expect(res.text).toContain('posts: 7 created');
    await request(t.server).get('/posts/bundled-post').expect(200); // its slug is its folder's name
    await request(t.server).get('/posts/jekyll-old').expect(301).expect('Location', '/posts/jekyll-post');
    const about = await request(t.server).get('/about').expect(200);
    expect(about.text).toContain('I write here.');
  });

  describe('bad input: a clear message, a 4xx, and the blog unchanged', () => {
    let before: Record<string, unknown[]>;
    beforeEach(() => (before = contentState(t.databasePath)));
    afterEach(() => expect(contentState(t.databasePath)).toEqual(before));

    const post = (slug: string, title = slug) => ({
      slug,
      title,
      status: 'published',
      publishedAt: '2026-01-01T00:00:00Z',
      markdown: 'x',
      tags: [],
    });
    const exportDoc = (posts: unknown[], version = 1) => ({
      format: 'inkstone',
      version,
      exportedAt: '2026-01-01T00:00:00Z',
      posts,
    });

    it('without the CSRF token: 403', async () => {
      await upload(jsonFile('a.json', exportDoc([post('sneaky')])), { token: null }).expect(403);
    });

    it('no file', async () => {
      const res = await agent
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`)
        .field('dryRun', '1')
        .expect(400);
      expect(res.text).toContain('Choose an export file or a folder of Markdown files');
    });

    it('malformed JSON and an unknown version', async () => {
      const broken = await upload(jsonFile('broken.json', '{"posts": [')).expect(400);
      expect(broken.text).toMatch(/Import refused: broken\.json: this is not valid JSON/);
      expect(broken.text).toContain('Nothing was changed.');
      const future = await upload(jsonFile('future.json', exportDoc([post('x')], 2))).expect(400);
      expect(future.text).toContain('future.json: this is an Inkstone export of version 2; this blog reads version 1.');
    });

    it('duplicate slugs inside the file', async () => {
      const res = await upload(
        jsonFile('dupes.json', exportDoc([post('new-one'), post('twice'), post('Twice', 'Twice again')])),
      ).expect(400);
      expect(res.text).toContain(
        'dupes.json, post 3 (Twice): the slug “twice” is also used by post 2 (twice).'.replace(/[“”]/g, '&quot;'),
      );
    });

    it('a bad record after good ones, and a damaged image', async () => {
      const late = await upload(jsonFile('late.json', exportDoc([post('fine-one'), { ...post('no-title'), title: '' }]))).expect(
        400,
      );
      expect(late.text).toContain('late.json, post 2 (no-title): A title is required.');
      const media = [
        {
          id: 99,
          filename: 'x.png',
          contentType: 'image/png',
          sha256: '0'.repeat(64),
          data: png(2, 2, 5).toString('base64'),
          createdAt: '2026-01-01T00:00:00Z',
        },
      ];
      const damaged = await upload(jsonFile('damaged.json', { ...exportDoc([post('with-image')]), media })).expect(400);
      expect(damaged.text).toContain('damaged.json, media 1 (x.png): the bytes do not match their sha256');
    });

    it('a 2 GB upload is refused by its Content-Length before it is read', async () => {
      const res = await agent
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`)
        .set('Content-Type', 'multipart/form-data; boundary=x')
        .set('Content-Length', String(2 * 1024 ** 3))
        .send('--x\r\n')
        .expect(413);
      expect(res.text).toContain('An import uploaded here may be at most 31 MB');
    });
  });

  describe('database snapshot', () => {
    let app: RunningProcess | undefined;
    afterEach(async () => {
      if (app) {
        app.child.kill('SIGTERM');
        await app.exited;
      }
    });

    it('downloads a consistent copy that a new instance serves', async () => {
      const res = await agent.get('/admin/backup/database').buffer(true).parse(bytes).expect(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="inkstone-\d{4}-\d\d-\d\d\.db"$/);
      const file = join(t.dir, 'downloaded.db');
      writeFileSync(file, res.body as Buffer);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const port = await freePort();
      app = startMain({
        DATABASE_PATH: file,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DEMO_CONTENT: 'false',
        ADMIN_PASSWORD: 'whatever password',
        SESSION_SECRET: 'another-session-secret-of-enough-length',
      });
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      const post = await fetch(`http://127.0.0.1:${port}/posts/first-words-renamed`);
      expect(post.status).toBe(200);
      expect(await post.text()).toContain('Hello again.');
      rmSync(file, { force: true });
    });
  });
});
