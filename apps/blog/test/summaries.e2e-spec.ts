import { jest } from '@jest/globals';
import { XMLParser } from 'fast-xml-parser';
import request from 'supertest';

import { XSS_VECTORS } from './fixtures/xss-vectors.js';
import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { executableIn } from './support/html-safety.js';
import { rows, withoutExportedAt } from './support/portability.js';
import { startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

/** The author's own summary (form field `summary`): saved, edited, cleared, bounded, escaped, exported. */
describe('hand-written summaries', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;
  const reader = () => request(t.server);

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  const save = (path: string, fields: Record<string, string>) =>
    agent
      .post(path)
      .type('form')
      .send({ _csrf: csrf, ...fields });
  const idFrom = (location: string) => Number(/\/admin\/(?:posts|pages)\/(\d+)\/edit/.exec(location)![1]);
  const metaDescriptions = (html: string) => [
    /<meta name="description" content="([^"]*)">/.exec(html)?.[1],
    /<meta property="og:description" content="([^"]*)">/.exec(html)?.[1],
  ];
  const jsonFeedItem = async (slug: string) => {
    const feed = JSON.parse((await reader().get('/feed.json').expect(200)).text) as {
      items: { url: string; summary?: string }[];
    };
    return feed.items.find((i) => i.url.endsWith(`/posts/${slug}`));
  };

  /** Where readers meet a post's summary: the home list, its own page's meta tags, both feeds. */
  async function summaryShown(slug: string) {
    const [home, post, atom, item] = await Promise.all([
      reader().get('/').expect(200),
      reader().get(`/posts/${slug}`).expect(200),
      reader().get('/feed.xml').expect(200),
      jsonFeedItem(slug),
    ]);
    const card = new RegExp(`href="/posts/${slug}"[\\s\\S]*?<p class="post-card__excerpt p-summary">([^<]*)</p>`).exec(home.text);
    const entry = new RegExp(`<entry>(?:(?!</entry>)[\\s\\S])*?/posts/${slug}(?:(?!</entry>)[\\s\\S])*?</entry>`).exec(atom.text);
    return {
      list: card?.[1],
      meta: metaDescriptions(post.text),
      atom: /<summary type="html">(?:<!\[CDATA\[)?([\s\S]*?)(?:\]\]>)?<\/summary>/.exec(entry?.[0] ?? '')?.[1],
      json: item?.summary,
    };
  }

  it('the post form saves, shows, edits and clears it; readers see it instead of the opening', async () => {
    const form = await agent.get('/admin/posts/new').expect(200);
    expect(form.text).toMatch(/<textarea id="summary" name="summary" rows="3" maxlength="1000"><\/textarea>/);
    const created = await save('/admin/posts/new', {
      title: 'Tide notes',
      markdown: 'The opening paragraph about barnacles.\n\nMore text.',
      summary: '  Written by hand:\r\n tides & boats  ',
      status: 'published',
    }).expect(303);
    const id = idFrom(created.headers.location);
    expect(await summaryShown('tide-notes')).toEqual({
      list: 'Written by hand: tides &amp; boats',
      meta: ['Written by hand: tides &amp; boats', 'Written by hand: tides &amp; boats'],
      atom: 'Written by hand: tides &amp; boats',
      json: 'Written by hand: tides & boats',
    });
    const edit = await agent.get(`/admin/posts/${id}/edit`).expect(200);
    expect(edit.text).toContain('>Written by hand: tides &amp; boats</textarea>');

    // Edited: the new one everywhere.
    await save(`/admin/posts/${id}/edit`, {
      title: 'Tide notes',
      markdown: 'The opening paragraph about barnacles.\n\nMore text.',
      summary: 'Second thoughts.',
      status: 'published',
    }).expect(303);
    expect((await summaryShown('tide-notes')).list).toBe('Second thoughts.');

    // A client that does not send the field (it predates it) leaves the summary alone.
    await save(`/admin/posts/${id}/edit`, {
      title: 'Tide notes',
      markdown: 'A new opening about limpets.',
      status: 'published',
    }).expect(303);
    expect((await summaryShown('tide-notes')).meta).toEqual(['Second thoughts.', 'Second thoughts.']);

    // Cleared: the opening of the text again, everywhere.
    await save(`/admin/posts/${id}/edit`, {
      title: 'Tide notes',
      markdown: 'A new opening about limpets.',
      summary: '',
      status: 'published',
    }).expect(303);
    expect(await summaryShown('tide-notes')).toEqual({
      list: 'A new opening about limpets.',
      meta: ['A new opening about limpets.', 'A new opening about limpets.'],
      atom: 'A new opening about limpets.',
      json: 'A new opening about limpets.',
    });
    expect(rows<{ summary: string }>(t.databasePath, 'select summary from post where id = ?', id)).toEqual([{ summary: '' }]);

    // Restoring a revision brings back title and text; the summary stays as it is.
    await save(`/admin/posts/${id}/edit`, {
      title: 'Tide notes',
      markdown: 'Limpets.',
      summary: 'Kept.',
      status: 'published',
    }).expect(303);
    const [oldest] = rows<{ id: number }>(t.databasePath, 'select id from revision where post_id = ? order by id limit 1', id);
    await agent.post(`/admin/posts/${id}/revisions/${oldest.id}/restore`).type('form').send({ _csrf: csrf }).expect(303);
    expect(rows(t.databasePath, 'select markdown, summary, excerpt from post where id = ?', id)).toEqual([
      { markdown: 'The opening paragraph about barnacles.\n\nMore text.', summary: 'Kept.', excerpt: 'Kept.' },
    ]);
    await save(`/admin/posts/${id}/edit`, {
      title: 'Tide notes',
      markdown: 'A new opening about limpets.',
      summary: '',
      status: 'published',
    }).expect(303);
  });

  it('a summary over 1000 characters is refused with a form error (400), and nothing is saved', async () => {
    const before = rows<{ n: number }>(t.databasePath, 'select count(*) as n from post')[0].n;
    const tooLong = 'a'.repeat(1001);
    const refused = await save('/admin/posts/new', {
      title: 'Too long',
      markdown: 'Body.',
      summary: tooLong,
      status: 'published',
    }).expect(400);
    expect(refused.text).toContain('The summary is longer than 1000 characters.');
    expect(refused.text).toContain(`>${tooLong}</textarea>`); // the author's text comes back to fix
    expect(rows<{ n: number }>(t.databasePath, 'select count(*) as n from post')[0].n).toBe(before);

    const post = await t.createPost({ title: 'Kept as is', markdown: 'Original.', summary: 'Original summary.' });
    await save(`/admin/posts/${post.id}/edit`, {
      title: 'Changed',
      markdown: 'Changed.',
      summary: tooLong,
      status: 'published',
    }).expect(400);
    expect(rows(t.databasePath, 'select title, markdown, summary, excerpt from post where id = ?', post.id)).toEqual([
      { title: 'Kept as is', markdown: 'Original.', summary: 'Original summary.', excerpt: 'Original summary.' },
    ]);
    // Exactly at the bound is fine.
    await save(`/admin/posts/${post.id}/edit`, {
      title: 'Kept as is',
      markdown: 'Original.',
      summary: 'b'.repeat(1000),
      status: 'published',
    }).expect(303);
  });

  it("a page's summary is its meta description", async () => {
    const created = await save('/admin/pages/new', {
      title: 'Colophon',
      markdown: 'Set in type.',
      summary: 'How this site is made.',
      status: 'published',
    }).expect(303);
    expect(metaDescriptions((await reader().get('/colophon').expect(200)).text)).toEqual([
      'How this site is made.',
      'How this site is made.',
    ]);
    expect((await agent.get(`/admin/pages/${idFrom(created.headers.location)}/edit`).expect(200)).text).toContain(
      '>How this site is made.</textarea>',
    );
  });

  it('XSS in a summary stays text: lists, post pages and feeds are inert, the text is kept as written', async () => {
    const vectors = XSS_VECTORS.filter((v) => v.length <= 1000);
    for (const [i, v] of vectors.entries())
      await save('/admin/posts/new', {
        title: `Vector ${i}`,
        slug: `x-${i}`,
        markdown: 'Body.',
        summary: v,
        status: 'published',
      }).expect(303);
    const findings: Record<string, string[]> = {};
    for (const [i, v] of vectors.entries()) {
      const page = (await reader().get(`/posts/x-${i}`).expect(200)).text;
      const found = executableIn(page, { page: 'site/post' });
      if (found.length) findings[v] = found;
    }
    // The editor shows it back to the author in its field.
    for (const id of rows<{ id: number }>(t.databasePath, "select id from post where slug like 'x-%' order by id limit 40")) {
      const editor = (await agent.get(`/admin/posts/${id.id}/edit`).expect(200)).text;
      const found = executableIn(editor, { page: 'admin/post-edit' });
      if (found.length) findings[`editor of post ${id.id}`] = found;
    }
    let pages = 0;
    for (let n = 1; ; n++) {
      const home = await reader().get(`/?page=${n}`);
      if (home.status === 404) break;
      pages++;
      const found = executableIn(home.text, { page: 'site/home' });
      if (found.length) findings[`home page ${n}`] = found;
    }
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(vectors.length / 10));
    expect(findings).toEqual({});
    // Atom summaries are type="html": what a feed reader renders must be inert too.
    const atom = new XMLParser({ ignoreAttributes: false }).parse((await reader().get('/feed.xml').expect(200)).text) as {
      feed: { entry: { summary: { '#text': string } }[] };
    };
    const summaries = atom.feed.entry.map((e) => e.summary['#text']);
    expect(summaries.length).toBe(20);
    expect(summaries.filter((html) => executableIn(html).length > 0)).toEqual([]);
    const stored = rows<{ slug: string; summary: string }>(
      t.databasePath,
      "select slug, summary from post where slug like 'x-%'",
    );
    // As stored: control characters dropped (text.ts cleanText), whitespace folded to one line.
    const normalized = (v: string) =>
      v
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
        .replace(/\s+/g, ' ')
        .trim();
    expect(stored.filter((r) => r.summary !== normalized(vectors[Number(r.slug.slice(2))]))).toEqual([]);
  }, 180_000); // ~200 published saves, each drawing its social card

  it('export → import into an empty blog keeps summaries; an export without them still imports', async () => {
    const exported = await agent.get('/admin/backup/export').expect(200);
    const doc = JSON.parse(exported.text) as {
      posts: { slug: string; summary?: string }[];
      pages: { slug: string; summary?: string }[];
    };
    expect(doc.posts.find((p) => p.slug === 'kept-as-is')?.summary).toBe('b'.repeat(1000));
    expect(doc.pages.find((p) => p.slug === 'colophon')?.summary).toBe('How this site is made.');
    expect(doc.posts.find((p) => p.slug === 'tide-notes')?.summary).toBe('');

    const empty = await startTestApp();
    try {
      const admin = await loggedInAgent(empty);
      const importFile = (text: string, name: string) =>
        admin.agent
          .post(`/admin/backup/import?_csrf=${encodeURIComponent(admin.csrf)}`)
          .attach('files', Buffer.from(text), { filename: name, contentType: 'application/json' })
          .expect(200);
      await importFile(exported.text, 'export.json');
      expect(metaDescriptions((await request(empty.server).get('/colophon').expect(200)).text)[0]).toBe('How this site is made.');
      const again = await admin.agent.get('/admin/backup/export').expect(200);
      expect(withoutExportedAt(again.text)).toBe(withoutExportedAt(exported.text));

      // A file from before summaries: it imports, and leaves the summaries here as they are.
      const old = JSON.parse(exported.text) as typeof doc;
      for (const r of [...old.posts, ...old.pages]) delete r.summary;
      const oldPost = old.posts.find((p) => p.slug === 'tide-notes')!;
      Object.assign(oldPost, { markdown: 'Changed in the old file.' });
      const report = await importFile(JSON.stringify(old), 'old-export.json');
      expect(report.text).toContain('Imported old-export.json (an Inkstone export)');
      expect(
        rows(empty.databasePath, "select summary, excerpt from post where slug in ('tide-notes', 'kept-as-is') order by slug"),
      ).toEqual([
        { summary: 'b'.repeat(1000), excerpt: 'b'.repeat(1000) },
        { summary: '', excerpt: 'Changed in the old file.' },
      ]);
    } finally {
      await empty.close();
    }
  });
});
