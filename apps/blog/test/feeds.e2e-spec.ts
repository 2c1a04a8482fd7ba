import { XMLParser, XMLValidator } from 'fast-xml-parser';
import request from 'supertest';

import { daysAgo, SITE_URL, startTestApp, type TestApp } from './support/test-app.js';

/** An element's text, whether or not the parser kept its attributes beside it. */
const text = (value: unknown) => (typeof value === 'object' && value !== null ? (value as { '#text': string })['#text'] : value);

describe('feeds', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.run(() => t.services.settings.update({ title: 'Feed & <Friends>', authorName: 'Ada' }));
    await t.createPost({
      title: 'Older',
      markdown: 'Old text with a [link](/about) and ![img](/media/1/a.png).',
      tags: ['x'],
      publishedAt: daysAgo(2),
    });
    await t.createPost({ title: 'Newer <em>', markdown: '## Heading\n\nNew **text** & more.', publishedAt: daysAgo(1) });
    await t.createPost({ title: 'Draft', markdown: 'nope', status: 'draft' });
  });
  afterAll(() => t.close());

  it('serves a valid Atom feed with full content of published posts only', async () => {
    const res = await request(t.server)
      .get('/feed.xml')
      .expect(200)
      .expect('Content-Type', /application\/atom\+xml/);
    expect(XMLValidator.validate(res.text)).toBe(true);
    const feed = (new XMLParser({ ignoreAttributes: false }).parse(res.text) as { feed: Record<string, unknown> }).feed;
    expect(text(feed.title)).toBe('Feed & <Friends>');
    const entries = feed.entry as { title: unknown; id: string; content: { '#text': string } }[];
    // Atom titles are type="html": a title's `<em>` is text, so it arrives escaped.
    expect(entries.map((e) => text(e.title))).toEqual(['Newer &lt;em&gt;', 'Older']);
    expect(entries[0].id).toBe(`${SITE_URL}/posts/newer-em`);
    expect(entries[0].content['#text']).toContain('<strong>text</strong>');
    // Root-relative links become absolute so feed readers can follow them.
    expect(entries[1].content['#text']).toContain(`href="${SITE_URL}/about"`);
    expect(entries[1].content['#text']).toContain(`src="${SITE_URL}/media/1/a.png"`);
  });

  it('serves JSON Feed 1.1 with the same posts', async () => {
    const res = await request(t.server)
      .get('/feed.json')
      .expect(200)
      .expect('Content-Type', /application\/feed\+json/);
    const feed = JSON.parse(res.text) as {
      version: string;
      title: string;
      items: { title: string; content_html: string; url: string }[];
    };
    expect(feed.version).toMatch(/jsonfeed\.org\/version\/1/);
    expect(feed.title).toBe('Feed & <Friends>');
    expect(feed.items.map((i) => i.title)).toEqual(['Newer <em>', 'Older']);
    expect(feed.items[0].content_html).toContain('<h2 id="heading">');
    expect(feed.items[0].url).toBe(`${SITE_URL}/posts/newer-em`);
  });

  it('is linked from every page of the site (error pages too), and each feed names its own address', async () => {
    for (const [path, status] of [
      ['/', 200],
      ['/posts/older', 200],
      ['/posts/not-here', 404],
    ] as const) {
      const page = (await request(t.server).get(path).expect(status)).text;
      expect(page).toMatch(/<link rel="alternate" type="application\/atom\+xml" title="[^"]+" href="\/feed\.xml">/);
      expect(page).toMatch(/<link rel="alternate" type="application\/feed\+json" title="[^"]+" href="\/feed\.json">/);
      expect(page).toContain('<a href="/feed.xml">Atom feed</a> · <a href="/feed.json">JSON feed</a>');
    }
    const atom = new XMLParser({ ignoreAttributes: false }).parse(
      (await request(t.server).get('/feed.xml').expect(200)).text,
    ) as {
      feed: { link: { '@_rel'?: string; '@_href': string }[] };
    };
    expect(atom.feed.link.find((l) => l['@_rel'] === 'self')?.['@_href']).toBe(`${SITE_URL}/feed.xml`);
    const json = JSON.parse((await request(t.server).get('/feed.json').expect(200)).text) as { feed_url: string };
    expect(json.feed_url).toBe(`${SITE_URL}/feed.json`);
  });
});
