import { jest } from '@jest/globals';
import request from 'supertest';

import { type Agent, csrfFrom, loggedInAgent } from './support/admin-agent.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Logs in (argon2) and starts an app per group: seconds on a loaded 2-core machine.
jest.setTimeout(30_000);

/**
 * The author's content screens (pages, tags, settings, dashboard) driven through HTTP as a
 * browser would, and every effect checked from the reader's side on the very next request.
 */

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const FORBIDDEN = 'The form has expired or did not come from this site.';

type Fields = Record<string, string>;

interface Ctx {
  t: TestApp;
  agent: Agent;
}

/** A fresh app and a logged-in author for one describe block. */
function withApp(): Ctx {
  const ctx = {} as Ctx;
  beforeAll(async () => {
    ctx.t = await startTestApp();
    ctx.agent = (await loggedInAgent(ctx.t)).agent;
  });
  afterAll(() => ctx.t.close());
  return ctx;
}

/** A reader: no cookies, a fresh client each time. */
const reader = (ctx: Ctx) => request(ctx.t.server);

/** What the author does: open the form page, then submit with the `_csrf` it carries. */
async function submit(ctx: Ctx, formUrl: string, action: string, fields: Fields): Promise<request.Response> {
  const form = await ctx.agent.get(formUrl).expect(200);
  return ctx.agent
    .post(action)
    .type('form')
    .send({ ...fields, _csrf: csrfFrom(form.text) });
}

const pageFields = (f: Fields): Fields => ({ title: '', slug: '', markdown: '', status: 'draft', navOrder: '', ...f });
const postFields = (f: Fields): Fields => ({
  title: '',
  slug: '',
  markdown: '',
  tags: '',
  status: 'draft',
  publishedAt: '',
  ...f,
});

async function createPage(ctx: Ctx, f: Fields): Promise<number> {
  const res = await submit(ctx, '/admin/pages/new', '/admin/pages/new', pageFields(f));
  expect(res.status).toBe(303);
  const match = /^\/admin\/pages\/(\d+)\/edit\?notice=saved$/.exec(res.headers.location);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

async function createPost(ctx: Ctx, f: Fields): Promise<number> {
  const res = await submit(ctx, '/admin/posts/new', '/admin/posts/new', postFields(f));
  expect(res.status).toBe(303);
  const match = /^\/admin\/posts\/(\d+)\/edit\?notice=\w+$/.exec(res.headers.location);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

/** The reader's main menu, in order (the built-in "Tags" link last). */
function menuOf(html: string): { label: string; url: string }[] {
  const nav = /<nav aria-label="Main">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
  return [...nav.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => ({ label: m[2], url: m[1] }));
}

async function readerMenu(ctx: Ctx) {
  return menuOf((await reader(ctx).get('/').expect(200)).text);
}

/** Rows of the admin pages list. */
async function adminPages(ctx: Ctx) {
  const html = (await ctx.agent.get('/admin/pages').expect(200)).text;
  return [
    ...html.matchAll(
      /<td><a href="\/admin\/pages\/(\d+)\/edit">([^<]*)<\/a><\/td>\s*<td><span class="badge badge--(\w+)">\w+<\/span><\/td>\s*<td>([^<]*)<\/td>/g,
    ),
  ].map((m) => ({ id: Number(m[1]), title: m[2], status: m[3], menu: m[4] }));
}

/** Rows of the admin tags list. */
async function adminTags(ctx: Ctx) {
  const html = (await ctx.agent.get('/admin/tags').expect(200)).text;
  return [
    ...html.matchAll(
      /<td><a href="\/tags\/([^"]+)">([^<]*)<\/a><\/td>\s*<td>(\d+)<\/td>\s*<td>\s*<form method="post" action="\/admin\/tags\/(\d+)\/rename"/g,
    ),
  ].map((m) => ({ slug: m[1], name: m[2], count: Number(m[3]), id: Number(m[4]) }));
}

async function tagId(ctx: Ctx, name: string): Promise<number> {
  const tag = (await adminTags(ctx)).find((t) => t.name === name);
  if (!tag) throw new Error(`No tag named ${name} in the admin list`);
  return tag.id;
}

/** Post titles listed on a reader page. */
const cardTitles = (html: string) =>
  [...html.matchAll(/<h2 class="post-card__title p-name"><a class="u-url" href="[^"]*">([^<]*)<\/a><\/h2>/g)].map((m) => m[1]);

/** Tag links under a post on its reader page ("Name /tags/slug"), sorted. */
async function tagsOfPost(ctx: Ctx, slug: string): Promise<string[]> {
  const html = (await reader(ctx).get(`/posts/${slug}`).expect(200)).text;
  const meta = /<p class="post-meta">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
  return [...meta.matchAll(/<a class="tag" href="([^"]+)">#<span class="p-category">([^<]*)<\/span><\/a>/g)]
    .map((m) => `${m[2]} ${m[1]}`)
    .sort();
}

describe('admin: pages', () => {
  const ctx = withApp();
  const ids: Record<string, number> = {};

  it('creates published pages that readers see at /:slug and in the menu, in navOrder order', async () => {
    const form = await ctx.agent.get('/admin/pages/new').expect(200);
    expect(form.text).toContain('<h1>New page</h1>');
    expect(form.text).toContain('name="navOrder"');
    expect(form.text).not.toContain('name="tags"');

    const res = await submit(
      ctx,
      '/admin/pages/new',
      '/admin/pages/new',
      pageFields({ title: 'Now', markdown: 'What I am *doing* now.', status: 'published', navOrder: '2' }),
    );
    expect(res.status).toBe(303);
    ids.now = Number(/^\/admin\/pages\/(\d+)\/edit\?notice=saved$/.exec(res.headers.location)![1]);
    const edit = await ctx.agent.get(res.headers.location).expect(200);
    expect(edit.text).toContain('Saved.');
    expect(edit.text).toContain('<h1>Edit page: Now</h1>');
    expect(edit.text).toContain('name="slug" value="now"');
    expect(edit.text).toContain('name="navOrder" type="number" step="1" value="2"');

    ids.about = await createPage(ctx, {
      title: 'About me',
      slug: 'about',
      markdown: 'About **me**.',
      status: 'published',
      navOrder: '1',
    });
    ids.colophon = await createPage(ctx, { title: 'Colophon', markdown: 'Set in type.', status: 'published' });

    const about = await reader(ctx).get('/about').expect(200);
    expect(about.text).toContain('<h1>About me</h1>');
    expect(about.text).toContain('About <strong>me</strong>.');
    const now = await reader(ctx).get('/now').expect(200);
    expect(now.text).toContain('What I am <em>doing</em> now.');
    // Published without a menu position: reachable, but not in the menu.
    await reader(ctx).get('/colophon').expect(200);

    expect(await readerMenu(ctx)).toEqual([
      { label: 'About me', url: '/about' },
      { label: 'Now', url: '/now' },
      { label: 'Tags', url: '/tags' },
    ]);
  });

  it('keeps a draft page from readers and out of the menu until it is published', async () => {
    ids.plans = await createPage(ctx, { title: 'Secret plans', markdown: 'Shh.', status: 'draft', navOrder: '3' });
    await reader(ctx).get('/secret-plans').expect(404);
    expect((await readerMenu(ctx)).map((l) => l.label)).not.toContain('Secret plans');
    expect((await adminPages(ctx)).find((p) => p.id === ids.plans)).toMatchObject({ title: 'Secret plans', status: 'draft' });

    const res = await submit(
      ctx,
      `/admin/pages/${ids.plans}/edit`,
      `/admin/pages/${ids.plans}/edit`,
      pageFields({ title: 'Secret plans', slug: 'secret-plans', markdown: 'Shh.', status: 'published', navOrder: '3' }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/pages/${ids.plans}/edit?notice=saved`);
    await reader(ctx).get('/secret-plans').expect(200);
    expect((await readerMenu(ctx)).map((l) => l.label)).toEqual(['About me', 'Now', 'Secret plans', 'Tags']);

    // And back to draft: gone for readers at once.
    await submit(
      ctx,
      `/admin/pages/${ids.plans}/edit`,
      `/admin/pages/${ids.plans}/edit`,
      pageFields({ title: 'Secret plans', slug: 'secret-plans', markdown: 'Shh.', status: 'draft', navOrder: '3' }),
    );
    await reader(ctx).get('/secret-plans').expect(404);
    expect((await readerMenu(ctx)).map((l) => l.label)).toEqual(['About me', 'Now', 'Tags']);
  });

  it('updates the menu on the very next request after a title or navOrder edit', async () => {
    // The menu is cached: read it once so a stale copy would show.
    expect((await readerMenu(ctx)).map((l) => l.label)).toEqual(['About me', 'Now', 'Tags']);
    const res = await submit(
      ctx,
      `/admin/pages/${ids.now}/edit`,
      `/admin/pages/${ids.now}/edit`,
      pageFields({ title: 'What I do now', slug: 'now', markdown: 'What I am *doing* now.', status: 'published', navOrder: '5' }),
    );
    expect(res.status).toBe(303);
    expect(await readerMenu(ctx)).toEqual([
      { label: 'About me', url: '/about' },
      { label: 'What I do now', url: '/now' },
      { label: 'Tags', url: '/tags' },
    ]);
    expect((await reader(ctx).get('/now').expect(200)).text).toContain('<h1>What I do now</h1>');

    await submit(
      ctx,
      `/admin/pages/${ids.about}/edit`,
      `/admin/pages/${ids.about}/edit`,
      pageFields({ title: 'About me', slug: 'about', markdown: 'About **me**.', status: 'published', navOrder: '9' }),
    );
    expect((await readerMenu(ctx)).map((l) => l.label)).toEqual(['What I do now', 'About me', 'Tags']);

    // A slug change moves the page for readers, and the menu follows.
    await submit(
      ctx,
      `/admin/pages/${ids.about}/edit`,
      `/admin/pages/${ids.about}/edit`,
      pageFields({ title: 'About me', slug: 'about-me', markdown: 'About **me**.', status: 'published', navOrder: '9' }),
    );
    await reader(ctx).get('/about-me').expect(200);
    await reader(ctx).get('/about').expect(404);
    expect(await readerMenu(ctx)).toContainEqual({ label: 'About me', url: '/about-me' });
  });

  it('shows every page with its menu position in the admin list, position 0 included', async () => {
    await submit(
      ctx,
      `/admin/pages/${ids.now}/edit`,
      `/admin/pages/${ids.now}/edit`,
      pageFields({ title: 'What I do now', slug: 'now', markdown: 'Now.', status: 'published', navOrder: '0' }),
    );
    // Position 0 is a real position: first in the menu...
    expect((await readerMenu(ctx)).map((l) => l.label)).toEqual(['What I do now', 'About me', 'Tags']);
    const rows = await adminPages(ctx);
    expect(rows.find((p) => p.id === ids.about)).toMatchObject({ status: 'published', menu: '9' });
    expect(rows.find((p) => p.id === ids.colophon)).toMatchObject({ status: 'published', menu: '—' });
    // ...so the list must not show it as "not in the menu".
    expect(rows.find((p) => p.id === ids.now)).toMatchObject({ status: 'published', menu: '0' });
  });

  it('never gives a page a reserved slug: /admin stays the admin, /tags the tag index', async () => {
    const cases: [Fields, string][] = [
      [{ title: 'Admin' }, 'admin-2'],
      [{ title: 'All my posts', slug: 'posts' }, 'posts-2'],
      [{ title: 'Tag list', slug: 'Tags' }, 'tags-2'],
    ];
    for (const [fields, expected] of cases) {
      const id = await createPage(ctx, { markdown: 'Mine.', status: 'published', navOrder: '7', ...fields });
      const edit = await ctx.agent.get(`/admin/pages/${id}/edit`).expect(200);
      expect(edit.text).toContain(`name="slug" value="${expected}"`);
      const page = await reader(ctx).get(`/${expected}`).expect(200);
      expect(page.text).toContain(`<h1>${fields.title}</h1>`);
      expect(await readerMenu(ctx)).toContainEqual({ label: fields.title, url: `/${expected}` });
    }
    // Editing an existing page onto a reserved slug is refused the same way.
    await submit(
      ctx,
      `/admin/pages/${ids.colophon}/edit`,
      `/admin/pages/${ids.colophon}/edit`,
      pageFields({ title: 'Colophon', slug: 'admin', markdown: 'Set in type.', status: 'published' }),
    );
    const edit = await ctx.agent.get(`/admin/pages/${ids.colophon}/edit`).expect(200);
    expect(edit.text).not.toContain('name="slug" value="admin"');
    expect(edit.text).toMatch(/name="slug" value="admin-\d+"/);

    await reader(ctx).get('/admin').expect(303).expect('Location', '/admin/login?next=%2Fadmin');
    expect((await ctx.agent.get('/admin').expect(200)).text).toContain('<h1>Dashboard</h1>');
    expect((await reader(ctx).get('/tags').expect(200)).text).toContain('<h1>Tags</h1>');
    await reader(ctx).get('/posts').expect(404);
  });

  it('asks for confirmation before deleting, then deletes for readers and the menu at once', async () => {
    const confirm = await ctx.agent.get(`/admin/pages/${ids.about}/delete`).expect(200);
    expect(confirm.text).toContain('Delete the page <strong>About me</strong>? This cannot be undone.');
    expect(confirm.text).toContain(`action="/admin/pages/${ids.about}/delete"`);
    // Asking is not deleting.
    await reader(ctx).get('/about-me').expect(200);
    expect((await readerMenu(ctx)).map((l) => l.label)).toContain('About me');

    const res = await ctx.agent
      .post(`/admin/pages/${ids.about}/delete`)
      .type('form')
      .send({ _csrf: csrfFrom(confirm.text) })
      .expect(303)
      .expect('Location', '/admin/pages?notice=deleted');
    expect(res.text).not.toContain('About me');
    await reader(ctx).get('/about-me').expect(404);
    expect((await readerMenu(ctx)).map((l) => l.label)).not.toContain('About me');
    const list = await ctx.agent.get('/admin/pages?notice=deleted').expect(200);
    expect(list.text).toContain('Deleted.');
    expect((await adminPages(ctx)).map((p) => p.id)).not.toContain(ids.about);
    await ctx.agent.get(`/admin/pages/${ids.about}/delete`).expect(404);
    await ctx.agent.get(`/admin/pages/${ids.about}/edit`).expect(404);
  });

  it('refuses an empty title with 400, keeping what the author typed, and saves nothing', async () => {
    const before = await adminPages(ctx);
    const res = await submit(
      ctx,
      '/admin/pages/new',
      '/admin/pages/new',
      pageFields({
        title: '   ',
        slug: 'kept-slug',
        markdown: 'Half a thought & <b>bold</b> idea',
        status: 'published',
        navOrder: '4',
      }),
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain('<p class="error" role="alert">A title is required.</p>');
    expect(res.text).toContain('>Half a thought &amp; &lt;b&gt;bold&lt;/b&gt; idea</textarea>');
    expect(res.text).toContain('name="slug" value="kept-slug"');
    expect(res.text).toContain('value="4"');
    expect(res.text).toMatch(/<option value="published" selected>/);
    expect(res.text).toContain('action="/admin/pages/new"');
    csrfFrom(res.text); // the form can be submitted again
    expect(await adminPages(ctx)).toEqual(before);
    await reader(ctx).get('/kept-slug').expect(404);

    // The same on edit: the page stays as it was for readers.
    const edit = await submit(
      ctx,
      `/admin/pages/${ids.now}/edit`,
      `/admin/pages/${ids.now}/edit`,
      pageFields({ title: '', slug: 'now', markdown: 'Rewritten', status: 'published', navOrder: '0' }),
    );
    expect(edit.status).toBe(400);
    expect(edit.text).toContain('A title is required.');
    expect(edit.text).toContain('>Rewritten</textarea>');
    const now = await reader(ctx).get('/now').expect(200);
    expect(now.text).toContain('<h1>What I do now</h1>');
    expect(now.text).not.toContain('Rewritten');

    const badOrder = await submit(
      ctx,
      '/admin/pages/new',
      '/admin/pages/new',
      pageFields({ title: 'Odd', markdown: 'x', status: 'published', navOrder: '1.5' }),
    );
    expect(badOrder.status).toBe(400);
    expect(badOrder.text).toContain('Menu position must be a whole number.');
    await reader(ctx).get('/odd').expect(404);
  });
});

describe('admin: tags', () => {
  const ctx = withApp();

  beforeAll(async () => {
    const posts: [string, string][] = [
      ['Ownership', 'Rust, Systems'],
      ['Goroutines', 'Go, Concurrency'],
      ['Channels', 'Golang, Go, Concurrency'],
      ['Modules', 'Golang'],
      ['Borrowing', 'Rust lang'],
      ['Misc notes', 'Temporary, Systems'],
    ];
    for (const [title, tags] of posts) {
      await createPost(ctx, { title, markdown: `About ${title}.`, tags, status: 'published' });
    }
  });

  it('creates tags from the post form and lists them with their post counts', async () => {
    const tags = await adminTags(ctx);
    expect(tags.map(({ name, slug, count }) => ({ name, slug, count }))).toEqual([
      { name: 'Concurrency', slug: 'concurrency', count: 2 },
      { name: 'Go', slug: 'go', count: 2 },
      { name: 'Golang', slug: 'golang', count: 2 },
      { name: 'Rust', slug: 'rust', count: 1 },
      { name: 'Rust lang', slug: 'rust-lang', count: 1 },
      { name: 'Systems', slug: 'systems', count: 2 },
      { name: 'Temporary', slug: 'temporary', count: 1 },
    ]);
    expect(await tagsOfPost(ctx, 'channels')).toEqual(['Concurrency /tags/concurrency', 'Go /tags/go', 'Golang /tags/golang']);
    const page = await reader(ctx).get('/tags/concurrency').expect(200);
    expect(cardTitles(page.text).sort()).toEqual(['Channels', 'Goroutines']);
  });

  it('renames a tag: the reader tag page moves to the new slug and the old one 404s', async () => {
    const id = await tagId(ctx, 'Concurrency');
    const res = await submit(ctx, '/admin/tags', `/admin/tags/${id}/rename`, { name: '  Parallel   work ' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/tags?notice=renamed');
    expect((await ctx.agent.get(res.headers.location).expect(200)).text).toContain('Tag renamed.');

    await reader(ctx).get('/tags/concurrency').expect(404);
    const page = await reader(ctx).get('/tags/parallel-work').expect(200);
    expect(page.text).toContain('Posts tagged <q>Parallel work</q>');
    expect(cardTitles(page.text).sort()).toEqual(['Channels', 'Goroutines']);
    expect(await tagsOfPost(ctx, 'goroutines')).toContain('Parallel work /tags/parallel-work');
    const index = await reader(ctx).get('/tags').expect(200);
    expect(index.text).toContain('href="/tags/parallel-work">#Parallel work</a> <span class="muted">(2)');
    expect(index.text).not.toContain('#Concurrency');
    expect((await adminTags(ctx)).find((t) => t.id === id)).toMatchObject({
      name: 'Parallel work',
      slug: 'parallel-work',
      count: 2,
    });
  });

  it('refuses a tag name without letters (400) and an unknown tag (404), changing nothing', async () => {
    const before = await adminTags(ctx);
    const id = await tagId(ctx, 'Systems');
    const bad = await submit(ctx, '/admin/tags', `/admin/tags/${id}/rename`, { name: '!!!' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('A tag name needs letters or digits');
    expect((await submit(ctx, '/admin/tags', '/admin/tags/99999/rename', { name: 'Whatever' })).status).toBe(404);
    expect((await submit(ctx, '/admin/tags', `/admin/tags/${id}/merge`, { into: '99999' })).status).toBe(404);
    expect((await submit(ctx, '/admin/tags', '/admin/tags/99999/delete', {})).status).toBe(404);
    expect(await adminTags(ctx)).toEqual(before);
    await reader(ctx).get('/tags/systems').expect(200);
  });

  it("renaming to an existing tag's name merges the two", async () => {
    const from = await tagId(ctx, 'Rust lang');
    const into = await tagId(ctx, 'Rust');
    const res = await submit(ctx, '/admin/tags', `/admin/tags/${from}/rename`, { name: 'rust' });
    expect(res.status).toBe(303);

    await reader(ctx).get('/tags/rust-lang').expect(404);
    const page = await reader(ctx).get('/tags/rust').expect(200);
    expect(page.text).toContain('Posts tagged <q>Rust</q>');
    expect(cardTitles(page.text).sort()).toEqual(['Borrowing', 'Ownership']);
    expect(await tagsOfPost(ctx, 'borrowing')).toEqual(['Rust /tags/rust']);
    const tags = await adminTags(ctx);
    expect(tags.find((t) => t.id === from)).toBeUndefined();
    expect(tags.find((t) => t.id === into)).toMatchObject({ name: 'Rust', count: 2 });
  });

  it('offers every other tag as a merge target, never the tag itself', async () => {
    const html = (await ctx.agent.get('/admin/tags').expect(200)).text;
    const tags = await adminTags(ctx);
    for (const tag of tags) {
      const select = new RegExp(`<select id="merge-${tag.id}" name="into">([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
      const offered = [...select.matchAll(/<option value="(\d+)">([^<]*)<\/option>/g)].map((m) => m[2]);
      expect({ tag: tag.name, offered }).toEqual({
        tag: tag.name,
        offered: tags.filter((t) => t.id !== tag.id).map((t) => t.name),
      });
    }
  });

  it('merges a tag into another: every post under the target, the source gone, no duplicates', async () => {
    const from = await tagId(ctx, 'Golang');
    const into = await tagId(ctx, 'Go');
    const form = await ctx.agent.get('/admin/tags').expect(200);
    expect(form.text).toContain(`action="/admin/tags/${from}/merge"`);
    const res = await ctx.agent
      .post(`/admin/tags/${from}/merge`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), into: String(into) })
      .expect(303)
      .expect('Location', '/admin/tags?notice=merged');
    expect(res.text).not.toContain('Golang');
    expect((await ctx.agent.get('/admin/tags?notice=merged').expect(200)).text).toContain('Tags merged.');

    await reader(ctx).get('/tags/golang').expect(404);
    const page = await reader(ctx).get('/tags/go').expect(200);
    expect(cardTitles(page.text).sort()).toEqual(['Channels', 'Goroutines', 'Modules']);
    expect(page.text).toContain('3 posts');
    // Channels had both tags: it has Go once, not twice.
    expect(await tagsOfPost(ctx, 'channels')).toEqual(['Go /tags/go', 'Parallel work /tags/parallel-work']);
    expect(await tagsOfPost(ctx, 'modules')).toEqual(['Go /tags/go']);
    const tags = await adminTags(ctx);
    expect(tags.find((t) => t.id === from)).toBeUndefined();
    expect(tags.find((t) => t.id === into)).toMatchObject({ name: 'Go', count: 3 });
    // The post editor shows the merged tag once too.
    const posts = await ctx.agent.get('/admin/posts?q=Channels').expect(200);
    expect(posts.text).toMatch(/<td>(Go, Parallel work|Parallel work, Go)<\/td>/);
  });

  it('deletes a tag: its posts stay, its reader page 404s', async () => {
    const id = await tagId(ctx, 'Temporary');
    await reader(ctx).get('/tags/temporary').expect(200);
    const res = await submit(ctx, '/admin/tags', `/admin/tags/${id}/delete`, {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/tags?notice=deleted');

    await reader(ctx).get('/tags/temporary').expect(404);
    expect(await tagsOfPost(ctx, 'misc-notes')).toEqual(['Systems /tags/systems']);
    expect(cardTitles((await reader(ctx).get('/tags/systems').expect(200)).text).sort()).toEqual(['Misc notes', 'Ownership']);
    expect(cardTitles((await reader(ctx).get('/').expect(200)).text)).toContain('Misc notes');
    const tags = await adminTags(ctx);
    expect(tags.map((t) => `${t.name}:${t.count}`)).toEqual(['Go:3', 'Parallel work:2', 'Rust:2', 'Systems:2']);
  });
});

describe('admin: settings', () => {
  const ctx = withApp();

  const valid: Fields = {
    title: 'Ada Writes',
    description: 'Notes on engines',
    authorName: 'Ada Lovelace',
    authorBio: 'Writes about engines.',
    navLinks: 'Newsletter | https://news.example.com/ada\r\nContact | mailto:ada@example.com',
    socialLinks: 'Mastodon | https://mastodon.example/@ada\nGitHub | https://github.com/ada\n',
    postsPerPage: '2',
    language: 'pt-BR',
  };

  beforeAll(async () => {
    for (const title of ['One', 'Two', 'Three'])
      await createPost(ctx, { title, markdown: `Post ${title}.`, status: 'published' });
  });

  it('shows the current values in the form', async () => {
    const res = await ctx.agent.get('/admin/settings').expect(200);
    expect(res.text).toContain('name="title" value="Inkstone"');
    expect(res.text).toContain('name="postsPerPage" type="number" min="1" max="100" value="10"');
    expect(res.text).toContain('name="language" value="en"');
    expect(res.text).toContain('name="authorName" value="The Author"');
  });

  it('changes the title, language, menu links, social links, posts per page and feed on the next request', async () => {
    // Warm every cache first, so stale copies would show.
    const home = await reader(ctx).get('/').expect(200);
    expect(home.text).toContain('<html lang="en">');
    expect(cardTitles(home.text)).toEqual(['Three', 'Two', 'One']);
    expect((await reader(ctx).get('/feed.xml').expect(200)).text).toContain('<title>Inkstone</title>');

    const res = await submit(ctx, '/admin/settings', '/admin/settings', valid);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/settings?notice=saved');

    const after = await reader(ctx).get('/').expect(200);
    expect(after.text).toContain('<title>Ada Writes</title>');
    expect(after.text).toContain('<html lang="pt-BR">');
    expect(after.text).toContain('<a class="site-title" href="/">Ada Writes</a>');
    expect(after.text).toContain('<p class="lead p-summary">Notes on engines</p>');
    expect(menuOf(after.text)).toEqual([
      { label: 'Newsletter', url: 'https://news.example.com/ada' },
      { label: 'Contact', url: 'mailto:ada@example.com' },
      { label: 'Tags', url: '/tags' },
    ]);
    const footer = /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(after.text)![1];
    expect(footer).toContain('<a href="https://mastodon.example/@ada" rel="me noopener">Mastodon</a>');
    expect(footer).toContain('<a href="https://github.com/ada" rel="me noopener">GitHub</a>');
    expect(footer).toContain('Ada Lovelace');
    expect(cardTitles(after.text)).toEqual(['Three', 'Two']);
    expect(after.text).toContain('Page 1 of 2');
    expect(cardTitles((await reader(ctx).get('/?page=2').expect(200)).text)).toEqual(['One']);

    const atom = await reader(ctx).get('/feed.xml').expect(200);
    expect(atom.text).toContain('<title>Ada Writes</title>');
    expect(atom.text).toContain('<subtitle>Notes on engines</subtitle>');
    expect(atom.text).toContain('<name>Ada Lovelace</name>');
    const json = JSON.parse((await reader(ctx).get('/feed.json').expect(200)).text) as { title: string };
    expect(json.title).toBe('Ada Writes');
    // The post page uses them too.
    const post = await reader(ctx).get('/posts/one').expect(200);
    expect(post.text).toContain('<title>One · Ada Writes</title>');
    expect(post.text).toContain('<html lang="pt-BR">');

    const form = await ctx.agent.get('/admin/settings?notice=saved').expect(200);
    expect(form.text).toContain('Saved.');
    expect(form.text).toContain('name="title" value="Ada Writes"');
    expect(form.text).toContain('name="language" value="pt-BR"');
    expect(form.text).toContain('>Newsletter | https://news.example.com/ada\nContact | mailto:ada@example.com</textarea>');
    expect(form.text).toContain('>Mastodon | https://mastodon.example/@ada\nGitHub | https://github.com/ada</textarea>');
    expect(form.text).toContain('>Writes about engines.</textarea>');
  });

  it.each<[string, Fields, string]>([
    ['postsPerPage 0', { postsPerPage: '0' }, 'Posts per page must be a whole number from 1 to 100.'],
    ['postsPerPage 1000', { postsPerPage: '1000' }, 'Posts per page must be a whole number from 1 to 100.'],
    ['postsPerPage empty', { postsPerPage: '' }, 'Posts per page must be a whole number from 1 to 100.'],
    [
      'a javascript: menu link',
      { navLinks: 'Home | /\nEvil | javascript:alert(1)' },
      'Each link in navLinks needs a label and an http(s), mailto: or /path URL.',
    ],
    [
      'a javascript: social link',
      { socialLinks: 'Evil | JavaScript:alert(document.cookie)' },
      'Each link in socialLinks needs a label and an http(s), mailto: or /path URL.',
    ],
    [
      'a link without a URL',
      { socialLinks: 'Just a label' },
      'Each link in socialLinks needs a label and an http(s), mailto: or /path URL.',
    ],
    ['an empty title', { title: '   ' }, 'The site needs a title.'],
    ['language "not a lang"', { language: 'not a lang' }, 'Language must be a tag like en or pt-BR.'],
  ])('refuses %s with 400 and a clear message, changing nothing', async (_name, change, message) => {
    const bad: Fields = { ...valid, title: 'Broken Title', ...change };
    const res = await submit(ctx, '/admin/settings', '/admin/settings', bad);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`<p class="error" role="alert">${message}</p>`);
    // The author's text is kept in the form.
    expect(res.text).toContain(`name="title" value="${bad.title.replace(/ +$/, '')}`);
    expect(res.text).toContain(`name="postsPerPage" type="number" min="1" max="100" value="${bad.postsPerPage}"`);
    csrfFrom(res.text);

    const home = await reader(ctx).get('/').expect(200);
    expect(home.text).toContain('<title>Ada Writes</title>');
    expect(home.text).toContain('<html lang="pt-BR">');
    expect(home.text).not.toContain('Broken Title');
    expect(home.text).not.toContain('javascript:');
    expect(cardTitles(home.text)).toEqual(['Three', 'Two']);
    expect(menuOf(home.text).map((l) => l.label)).toEqual(['Newsletter', 'Contact', 'Tags']);
    expect((await reader(ctx).get('/feed.xml').expect(200)).text).toContain('<title>Ada Writes</title>');
    const form = await ctx.agent.get('/admin/settings').expect(200);
    expect(form.text).toContain('name="title" value="Ada Writes"');
    expect(form.text).toContain('value="2"');
  });
});

describe('admin: dashboard', () => {
  const ctx = withApp();
  const ids: Record<string, number> = {};

  /** The numbers at the top of the dashboard. */
  function counts(html: string) {
    const n = (what: string) => Number(new RegExp(`<strong>(\\d+)</strong> ${what}`).exec(html)?.[1]);
    return { published: n('published'), scheduled: n('scheduled'), drafts: n('drafts') };
  }
  const section = (html: string, heading: string) =>
    new RegExp(`<h2>${heading}</h2>([\\s\\S]*?)</section>`).exec(html)?.[1] ?? '';
  const latestTitles = (html: string) =>
    [...section(html, 'Latest edits').matchAll(/<a href="\/admin\/posts\/\d+\/edit">([^<]*)<\/a>/g)].map((m) => m[1]);

  it('starts empty', async () => {
    const res = await ctx.agent.get('/admin').expect(200);
    expect(counts(res.text)).toEqual({ published: 0, scheduled: 0, drafts: 0 });
    expect(res.text).toContain('Nothing written yet.');
    expect(res.text).toContain('No views counted yet.');
  });

  it('counts published, scheduled and draft posts as created', async () => {
    ids.first = await createPost(ctx, { title: 'First light', markdown: 'One.', status: 'published' });
    ids.second = await createPost(ctx, { title: 'Second wind', markdown: 'Two.', status: 'published' });
    ids.third = await createPost(ctx, { title: 'Third rail', markdown: 'Three.', status: 'published' });
    const scheduled = await submit(
      ctx,
      '/admin/posts/new',
      '/admin/posts/new',
      postFields({ title: 'Future plans', markdown: 'Later.', status: 'published', publishedAt: '2099-01-01T10:00' }),
    );
    expect(scheduled.status).toBe(303);
    expect(scheduled.headers.location).toMatch(/^\/admin\/posts\/\d+\/edit\?notice=scheduled$/);
    ids.draftA = await createPost(ctx, { title: 'Draft A', markdown: 'a', status: 'draft' });
    ids.draftB = await createPost(ctx, { title: 'Draft B', markdown: 'b', status: 'draft' });

    const res = await ctx.agent.get('/admin').expect(200);
    expect(counts(res.text)).toEqual({ published: 3, scheduled: 1, drafts: 2 });
    await reader(ctx).get('/posts/future-plans').expect(404);
    await reader(ctx).get('/posts/draft-a').expect(404);
    expect(cardTitles((await reader(ctx).get('/').expect(200)).text)).toEqual(['Third rail', 'Second wind', 'First light']);
  });

  it('lists the latest edits, newest first', async () => {
    let res = await ctx.agent.get('/admin').expect(200);
    expect(latestTitles(res.text)).toEqual(['Draft B', 'Draft A', 'Future plans', 'Third rail', 'Second wind']);

    const edit = await submit(
      ctx,
      `/admin/posts/${ids.first}/edit`,
      `/admin/posts/${ids.first}/edit`,
      postFields({ title: 'First light, revised', slug: 'first-light', markdown: 'One, again.', status: 'published' }),
    );
    expect(edit.status).toBe(303);
    res = await ctx.agent.get('/admin').expect(200);
    expect(latestTitles(res.text)).toEqual(['First light, revised', 'Draft B', 'Draft A', 'Future plans', 'Third rail']);
    expect(counts(res.text)).toEqual({ published: 3, scheduled: 1, drafts: 2 });
  });

  it('shows the most-read posts after reader visits, ignoring robots', async () => {
    for (let i = 0; i < 3; i++) await reader(ctx).get('/posts/second-wind').set('User-Agent', BROWSER).expect(200);
    await reader(ctx).get('/posts/third-rail').set('User-Agent', BROWSER).expect(200);
    for (let i = 0; i < 5; i++) {
      await reader(ctx).get('/posts/third-rail').set('User-Agent', 'Mozilla/5.0 (compatible; Googlebot/2.1)').expect(200);
    }
    await reader(ctx).get('/posts/future-plans').set('User-Agent', BROWSER).expect(404);

    const res = await ctx.agent.get('/admin').expect(200);
    const mostRead = section(res.text, 'Most read');
    expect(
      [...mostRead.matchAll(/<li><a href="([^"]*)">([^<]*)<\/a> <span class="muted">· ([^<]*)<\/span><\/li>/g)].map((m) =>
        m.slice(1),
      ),
    ).toEqual([
      ['/posts/second-wind', 'Second wind', '3 views'],
      ['/posts/third-rail', 'Third rail', '1 view'],
    ]);
    expect(res.text).not.toContain('No views counted yet.');
  });
});

describe('admin: CSRF on content writes', () => {
  const ctx = withApp();
  const ids: Record<string, number> = {};
  let foreignToken: string;

  beforeAll(async () => {
    ids.page = await createPage(ctx, { title: 'Guarded', markdown: 'Safe.', status: 'published', navOrder: '1' });
    await createPost(ctx, { title: 'Tagged', markdown: 'x', tags: 'Alpha, Beta', status: 'published' });
    ids.alpha = await tagId(ctx, 'Alpha');
    ids.beta = await tagId(ctx, 'Beta');
    expect(
      (await submit(ctx, '/admin/settings', '/admin/settings', { title: 'Guarded Blog', postsPerPage: '10', language: 'en' }))
        .status,
    ).toBe(303);
    // A real token, but another browser's: worthless with this author's cookies.
    foreignToken = csrfFrom((await request(ctx.t.server).get('/admin/login').expect(200)).text);
  });

  /** Everything the refused posts could have changed, as readers and the author see it. */
  async function state() {
    const home = (await reader(ctx).get('/').expect(200)).text;
    const pageStatus = (await reader(ctx).get('/guarded')).status;
    const alphaStatus = (await reader(ctx).get('/tags/alpha')).status;
    const betaStatus = (await reader(ctx).get('/tags/beta')).status;
    return {
      title: /<title>([^<]*)<\/title>/.exec(home)?.[1],
      menu: menuOf(home),
      posts: cardTitles(home),
      pageStatus,
      guarded: (await reader(ctx).get('/guarded')).text.includes('<h1>Guarded</h1>'),
      alphaStatus,
      betaStatus,
      pages: await adminPages(ctx),
      tags: await adminTags(ctx),
      settings: (await ctx.agent.get('/admin/settings').expect(200)).text.replace(/name="_csrf" value="[^"]*"/g, ''),
    };
  }

  const routes: [string, () => string, Fields][] = [
    [
      'POST /admin/posts/new',
      () => '/admin/posts/new',
      postFields({ title: 'Injected post', markdown: 'x', status: 'published', tags: 'Gamma' }),
    ],
    [
      'POST /admin/pages/new',
      () => '/admin/pages/new',
      pageFields({ title: 'Injected page', status: 'published', navOrder: '0' }),
    ],
    [
      'POST /admin/pages/:id/edit',
      () => `/admin/pages/${ids.page}/edit`,
      pageFields({ title: 'Defaced', slug: 'guarded', status: 'published', navOrder: '1' }),
    ],
    ['POST /admin/pages/:id/delete', () => `/admin/pages/${ids.page}/delete`, {}],
    ['POST /admin/tags/:id/rename', () => `/admin/tags/${ids.alpha}/rename`, { name: 'Hijacked' }],
    ['POST /admin/tags/:id/merge', () => `/admin/tags/${ids.alpha}/merge`, { into: String(ids.beta) }],
    ['POST /admin/tags/:id/delete', () => `/admin/tags/${ids.beta}/delete`, {}],
    [
      'POST /admin/settings',
      () => '/admin/settings',
      { title: 'Pwned', postsPerPage: '1', language: 'en', navLinks: 'Evil | https://evil.example/' },
    ],
  ];

  it('starts from a known state', async () => {
    const s = await state();
    expect(s).toMatchObject({
      title: 'Guarded Blog',
      posts: ['Tagged'],
      pageStatus: 200,
      guarded: true,
      alphaStatus: 200,
      betaStatus: 200,
    });
    expect(s.menu.map((l) => l.label)).toEqual(['Guarded', 'Tags']);
  });

  it.each(routes)('%s without _csrf or with a wrong one is 403 and changes nothing', async (_name, url, fields) => {
    const before = await state();
    const tokens: (string | undefined)[] = [undefined, '', 'not-a-token', foreignToken];
    for (const token of tokens) {
      const body = token === undefined ? fields : { ...fields, _csrf: token };
      const res = await ctx.agent.post(url()).type('form').send(body);
      expect({ token, status: res.status }).toEqual({ token, status: 403 });
      expect(res.text).toContain(FORBIDDEN);
    }
    expect(await state()).toEqual(before);
    expect(before.title).toBe('Guarded Blog');
    // Still logged in: the same form with the right token would have worked.
    await ctx.agent.get('/admin').expect(200);
  });
});
