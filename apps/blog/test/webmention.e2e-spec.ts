import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { jest } from '@jest/globals';
import { mf2 } from 'microformats-parser';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { type BlogInstance, startBlogInstance } from './support/blog-instance.js';
import { freePort } from './support/process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Three instances of the built app boot here, on a loaded machine.
jest.setTimeout(90_000);

const LOOPBACK = { WEBMENTION_ALLOW_LOOPBACK: 'true' };

/** A plain site on loopback: sources with microformats, an oversized page, a page without the link, an endpoint that counts. */
class OtherSite {
  server!: Server;
  url = '';
  /** Webmentions received at /endpoint: "source target". */
  received: string[] = [];
  pages = new Map<string, string>();
  /** Paths that answer 410 Gone. */
  gone = new Set<string>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/endpoint') {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          this.received.push(`${form.get('source')} ${form.get('target')}`);
          res.writeHead(202).end('ok');
        });
        return;
      }
      if (req.url === '/huge') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(`<a href="${this.pages.get('huge-target')}">x</a>${'<p>padding</p>'.repeat(100_000)}`);
      }
      if (req.url === '/with-endpoint') {
        res.writeHead(200, { 'Content-Type': 'text/html', Link: '</endpoint>; rel="webmention"' });
        return res.end('<p>A page that takes Webmentions.</p>');
      }
      if (this.gone.has(req.url ?? '')) return res.writeHead(410).end('gone');
      const page = this.pages.get(req.url ?? '');
      res.writeHead(page ? 200 : 404, { 'Content-Type': 'text/html' }).end(page ?? 'not here');
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const send = (endpoint: string, form: Record<string, string>) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

const idOf = (location: string | null) => Number(/\/admin\/posts\/(\d+)\/edit/.exec(location ?? '')?.[1]);

async function heldIds(blog: BlogInstance): Promise<number[]> {
  const html = await (await blog.admin.request('GET', '/admin/webmentions')).text();
  return [...html.matchAll(/action="\/admin\/webmentions\/(\d+)\/approve"/g)].map((m) => Number(m[1]));
}

async function editPost(blog: BlogInstance, id: number, title: string, markdown: string): Promise<number> {
  const res = await blog.admin.request('POST', `/admin/posts/${id}/edit`, {
    _csrf: blog.admin.csrf,
    title,
    markdown,
    status: 'published',
    tags: '',
  });
  return res.status;
}

/**
 * Webmention end to end between two instances of the built app on loopback (the test switch lets
 * them fetch each other): A publishes a post that links B's post, B verifies and holds it, B's
 * author approves, B's post shows it; plus the receiver's refusals and the fetch's bounds.
 */
describe('Webmention between two Inkstone instances', () => {
  let a: BlogInstance;
  let b: BlogInstance;
  const other = new OtherSite();
  let bPost: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startBlogInstance(LOOPBACK), startBlogInstance(LOOPBACK), other.start()]);
    const created = await b.admin.createPost('Harbour notes', 'Boats in the harbour.');
    expect(created.status).toBe(303);
    bPost = `${b.url}/posts/harbour-notes`;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), other.stop()]);
  });

  it('advertises the endpoint on post pages: Link header on a miss and on a cache hit, and a <link>', async () => {
    const endpoint = `${b.url}/webmention`;
    const miss = await fetch(bPost);
    const hit = await fetch(bPost);
    const gzipHit = await fetch(bPost, { headers: { 'Accept-Encoding': 'gzip' } });
    for (const res of [miss, hit, gzipHit]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('link')).toBe(`<${endpoint}>; rel="webmention"`);
    }
    const html = await hit.text();
    expect(mf2(html, { baseUrl: bPost }).rels.webmention).toEqual([endpoint]);
  });

  it('A publishes a post linking B: B verifies and holds it, the author approves, the post shows it', async () => {
    // B's post page is cached before the mention arrives.
    expect(await (await fetch(bPost)).text()).not.toContain('class="mentions"');
    const created = await a.admin.createPost('A reply to B', `I liked [the harbour notes](${bPost}).`);
    expect(created.status).toBe(303);
    const aPost = `${a.url}/posts/a-reply-to-b`;

    const held = await heldIds(b);
    expect(held).toHaveLength(1);
    const list = await (await b.admin.request('GET', '/admin/webmentions')).text();
    expect(list).toContain(aPost);
    expect(await (await fetch(bPost)).text()).not.toContain('class="mentions"');

    // Approval needs the CSRF token.
    const forged = await b.admin.request('POST', `/admin/webmentions/${held[0]}/approve`, { _csrf: 'forged' });
    expect(forged.status).toBe(403);
    const approved = await b.admin.request('POST', `/admin/webmentions/${held[0]}/approve`, { _csrf: b.admin.csrf });
    expect(approved.status).toBe(303);

    const page = await (await fetch(bPost)).text();
    expect(page).toContain('class="mentions"');
    expect(page).toContain('1 mention');
    expect(page).toContain(`href="${aPost}"`);
    expect(await heldIds(b)).toEqual([]);

    // A removes the link: saving sends again, B finds no link and deletes the mention.
    expect(await editPost(a, idOf(created.location), 'A reply to B', 'Never mind.')).toBe(303);
    expect(await (await fetch(bPost)).text()).not.toContain('class="mentions"');
    // Deleted, not merely held again.
    expect(await (await b.admin.request('GET', '/admin/webmentions')).text()).not.toContain(aPost);
  });

  it('classifies from the source microformats (a like with its author) and keeps the text escaped', async () => {
    other.pages.set(
      '/like',
      `<article class="h-entry"><span class="p-author h-card"><a class="p-name u-url" href="/me">Ada &lt;b&gt;</a></span>
       <a class="u-like-of" href="${bPost}">liked</a></article>`,
    );
    expect((await send(`${b.url}/webmention`, { source: `${other.url}/like`, target: bPost })).status).toBe(202);
    const [id] = await heldIds(b);
    await b.admin.request('POST', `/admin/webmentions/${id}/approve`, { _csrf: b.admin.csrf });
    const page = await (await fetch(bPost)).text();
    expect(page).toContain('<span data-kind="like">1 like</span>');
    expect(page).toContain('Ada &lt;b&gt;');
    expect(page).not.toContain('Ada <b>');
  });

  it('a source that answers 410 Gone takes its mention away', async () => {
    other.pages.set('/deleted-later', `<p class="h-entry"><a href="${bPost}">Harbour</a></p>`);
    expect((await send(`${b.url}/webmention`, { source: `${other.url}/deleted-later`, target: bPost })).status).toBe(202);
    expect(await heldIds(b)).toHaveLength(1);
    other.gone.add('/deleted-later');
    const res = await send(`${b.url}/webmention`, { source: `${other.url}/deleted-later`, target: bPost });
    expect(res.status).toBe(202);
    expect(await res.text()).toMatch(/source is gone, its mention was removed/);
    expect(await heldIds(b)).toEqual([]);
  });

  it('answers 400 with the reason to bad requests', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ target: bPost }, /source must be an absolute http\(s\) URL/],
      [{ source: 'ftp://example.com/x', target: bPost }, /source must be an absolute http\(s\) URL/],
      [{ source: `${other.url}/like` }, /target must be an absolute http\(s\) URL/],
      [{ source: bPost, target: bPost }, /must be different/],
      [{ source: `${other.url}/like`, target: `${b.url}/tags/boats` }, /not a published post of this blog/],
      [{ source: `${other.url}/like`, target: 'http://elsewhere.example/posts/harbour-notes' }, /not a published post/],
      [{ source: `${other.url}/like`, target: `${b.url}/posts/no-such-post` }, /not a published post/],
    ];
    for (const [form, message] of cases) {
      const res = await send(`${b.url}/webmention`, form);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toMatch(message);
      expect(text).not.toMatch(/at \w+ \(|node_modules/);
    }
  });

  it('rejects a source that does not link to the target, and an oversized source', async () => {
    other.pages.set('/nolink', '<p>Nothing to see.</p>');
    const nolink = await send(`${b.url}/webmention`, { source: `${other.url}/nolink`, target: bPost });
    expect(nolink.status).toBe(400);
    expect(await nolink.text()).toMatch(/source does not link to target/);

    other.pages.set('huge-target', bPost);
    const huge = await send(`${b.url}/webmention`, { source: `${other.url}/huge`, target: bPost });
    expect(huge.status).toBe(400);
    expect(await huge.text()).toMatch(/larger than 1048576 bytes/);
    expect(await heldIds(b)).toEqual([]);
  });

  it('sends once per version of a post: an unchanged save sends nothing again', async () => {
    const target = `${other.url}/with-endpoint`;
    const created = await a.admin.createPost('Pointing out', `See [this page](${target}).`);
    const source = `${a.url}/posts/pointing-out`;
    expect(other.received).toEqual([`${source} ${target}`]);
    expect(await editPost(a, idOf(created.location), 'Pointing out', `See [this page](${target}).`)).toBe(303);
    expect(other.received).toHaveLength(1);
    expect(await editPost(a, idOf(created.location), 'Pointing out', `See [this page](${target}), again.`)).toBe(303);
    expect(other.received).toHaveLength(2);
  });
});

/**
 * The sending blog in this process (its clock can be held, as the visibility specs do), listening
 * on loopback at its SITE_URL; the receiving one is the built app, as above.
 */
describe('Webmention for a post that goes live by its schedule, and for a deleted post', () => {
  let s: TestApp;
  let sUrl = '';
  let admin: Agent;
  let csrf: string;
  let b: BlogInstance;
  const other = new OtherSite();
  let bPost: string;

  beforeAll(async () => {
    const port = await freePort();
    sUrl = `http://127.0.0.1:${port}`;
    [s, b] = await Promise.all([startTestApp({ ...LOOPBACK, SITE_URL: sUrl }), startBlogInstance(LOOPBACK), other.start()]);
    await s.app.listen(port, '127.0.0.1');
    ({ agent: admin, csrf } = await loggedInAgent(s));
    expect((await b.admin.createPost('Tide tables', 'High and low water.')).status).toBe(303);
    bPost = `${b.url}/posts/tide-tables`;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await Promise.all([s?.close(), b?.stop(), other.stop()]);
  });

  /** datetime-local, read as UTC by the editor. */
  const inputDate = (d: Date) => d.toISOString().slice(0, 16);
  const savePost = (path: string, fields: Record<string, string>) =>
    admin
      .post(path)
      .type('form')
      .send({ _csrf: csrf, slug: '', tags: '', status: 'published', ...fields });
  const mentionsOnB = async () => (await (await b.admin.request('GET', '/admin/webmentions')).text()).split(sUrl).length - 1;

  it('a scheduled post sends nothing at its save, and sends once it is live and the author opens the dashboard', async () => {
    const live = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 86_400_000);
    const endpointPage = `${other.url}/with-endpoint`;
    const saved = await savePost('/admin/posts/new', {
      title: 'Tomorrow about tides',
      markdown: `About [the tide tables](${bPost}) and [this page](${endpointPage}).`,
      publishedAt: inputDate(live),
    }).expect(303);
    expect(saved.headers.location).toMatch(/notice=scheduled/);
    const source = `${sUrl}/posts/tomorrow-about-tides`;
    expect(await heldIds(b)).toEqual([]);
    expect(other.received).toEqual([]);

    // The schedule comes (the sending blog's clock held past it): nothing happens by itself…
    jest.spyOn(s.clock, 'now').mockReturnValue(new Date(live.getTime() + 60_000));
    expect((await fetch(source)).status).toBe(200);
    expect(other.received).toEqual([]);
    // …until the author's next request with the CPU: the dashboard.
    await admin.get('/admin').expect(200);
    expect(other.received).toEqual([`${source} ${endpointPage}`]);
    const held = await heldIds(b);
    expect(held).toHaveLength(1);
    expect(await mentionsOnB()).toBeGreaterThan(0);
    // Sent once: the next visit finds nothing due.
    await admin.get('/admin').expect(200);
    expect(other.received).toHaveLength(1);

    await b.admin.request('POST', `/admin/webmentions/${held[0]}/approve`, { _csrf: b.admin.csrf });
    expect(await (await fetch(bPost)).text()).toContain(`href="${source}"`);
  });

  it('any author write sends for a post that went live meanwhile', async () => {
    const now = s.clock.now();
    const live = new Date(Math.ceil(now.getTime() / 60_000) * 60_000 + 86_400_000);
    const endpointPage = `${other.url}/with-endpoint`;
    await savePost('/admin/posts/new', {
      title: 'Later about harbours',
      markdown: `See [this page](${endpointPage}).`,
      publishedAt: inputDate(live),
    }).expect(303);
    const before = other.received.length;
    jest.spyOn(s.clock, 'now').mockReturnValue(new Date(live.getTime() + 60_000));
    // A write about something else: a page.
    await admin
      .post('/admin/pages/new')
      .type('form')
      .send({ _csrf: csrf, title: 'Colophon', slug: '', markdown: 'Made with care.', status: 'published', navOrder: '' })
      .expect(303);
    expect(other.received.slice(before)).toEqual([`${sUrl}/posts/later-about-harbours ${endpointPage}`]);
  });

  it('a deleted post answers 410 Gone and tells the pages it had mentioned, which drop the mention', async () => {
    const source = `${sUrl}/posts/tomorrow-about-tides`;
    const post = await s.run(() => s.services.posts.findVisibleBySlug('tomorrow-about-tides'));
    expect(await (await fetch(bPost)).text()).toContain('class="mentions"');
    const before = other.received.length;

    await admin.post(`/admin/posts/${post!.id}/delete`).type('form').send({ _csrf: csrf }).expect(303);

    const gone = await fetch(source);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('cache-control')).toBe('no-store');
    expect(await gone.text()).toContain('What was at this address has been deleted.');
    // The receiving blog fetched the source, got the 410 and removed the mention.
    expect(await (await fetch(bPost)).text()).not.toContain('class="mentions"');
    expect(await mentionsOnB()).toBe(0);
    // The other page was told too (it keeps its own record of what it received).
    expect(other.received.slice(before)).toEqual([`${source} ${other.url}/with-endpoint`]);
    // A post that takes the address again wins over the tombstone.
    await savePost('/admin/posts/new', { title: 'Tomorrow about tides', markdown: 'Back again.', publishedAt: '' }).expect(303);
    expect((await fetch(source)).status).toBe(200);
  });
});

describe('Webmention without the test switch (as in production)', () => {
  let c: BlogInstance;
  const other = new OtherSite();

  beforeAll(async () => {
    [c] = await Promise.all([startBlogInstance(), other.start()]);
    await c.admin.createPost('Guarded', 'Words.');
  });
  afterAll(async () => {
    await Promise.all([c?.stop(), other.stop()]);
  });

  it('refuses to fetch a loopback source, and sends nothing to loopback', async () => {
    const target = `${c.url}/posts/guarded`;
    other.pages.set('/src', `<a href="${target}">x</a>`);
    const res = await send(`${c.url}/webmention`, { source: `${other.url}/src`, target });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/the address is not a public one/);

    await c.admin.createPost('Linking out', `See [this page](${other.url}/with-endpoint).`);
    expect(other.received).toEqual([]);
  });

  it('limits each sender address: 20 a minute (one was sent above), then 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await send(`${c.url}/webmention`, { source: 'x', target: 'y' });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 19).every((s) => s === 400)).toBe(true);
    expect(statuses[19]).toBe(429);
  });
});
