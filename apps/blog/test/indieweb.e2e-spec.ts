import { jest } from '@jest/globals';
import { mf2 } from 'microformats-parser';
import request from 'supertest';

import { daysAgo, SITE_URL, startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(30_000);

type Item = ReturnType<typeof mf2>['items'][number];

/** What an IndieWeb reader or Webmention receiver parses from our pages, with the reference mf2 parser. */
const parse = (html: string) => mf2(html, { baseUrl: `${SITE_URL}/` });
const byType = (items: Item[], type: string): Item[] => items.filter((i) => i.type?.includes(type));

describe('microformats2 and rel="me"', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.run(() =>
      t.services.settings.update({
        title: 'Ink & Paper',
        authorName: 'Ada Writer',
        socialLinks: [
          { label: 'Mastodon', url: 'https://social.example/@ada' },
          { label: 'GitHub', url: 'https://github.com/ada' },
        ],
      }),
    );
    await t.createPost({ title: 'First light', markdown: 'Hello *world*.', tags: ['Sky', 'Notes'], publishedAt: daysAgo(2) });
    await t.createPost({ title: 'Second wind', markdown: 'More words.', tags: ['Notes'], publishedAt: daysAgo(1) });
  });
  afterAll(() => t.close());

  it('a post is an h-entry: name, content, published, url, categories, and its author as an h-card', async () => {
    const html = (await request(t.server).get('/posts/first-light').expect(200)).text;
    const doc = parse(html);
    const [entry, ...others] = byType(doc.items, 'h-entry');
    expect(others).toEqual([]);
    const p = entry!.properties;
    expect(p.name).toEqual(['First light']);
    expect(p.url).toEqual([`${SITE_URL}/posts/first-light`]);
    expect(p.uid).toEqual([`${SITE_URL}/posts/first-light`]);
    expect(p.category).toEqual(['Sky', 'Notes']);
    expect(p.published).toHaveLength(1);
    expect(new Date(p.published![0] as string).getTime()).toBeCloseTo(daysAgo(2).getTime(), -5);
    const [content] = p.content as { html: string; value: string }[];
    expect(content!.value).toBe('Hello world.');
    expect(content!.html).toContain('<em>world</em>');
    const [author] = p.author as Item[];
    expect(author!.type).toEqual(['h-card']);
    expect(author!.properties).toEqual({ name: ['Ada Writer'], url: [`${SITE_URL}/`] });
  });

  it('every page names the author with an h-card and links the social profiles with rel="me"', async () => {
    for (const path of ['/', '/posts/second-wind', '/tags/notes']) {
      const doc = parse((await request(t.server).get(path).expect(200)).text);
      const [card] = byType(doc.items, 'h-card');
      expect([path, card?.properties]).toEqual([path, { name: ['Ada Writer'], url: [`${SITE_URL}/`] }]);
      expect([path, doc.rels.me]).toEqual([path, ['https://social.example/@ada', 'https://github.com/ada']]);
    }
  });

  it('the home page and tag pages are h-feeds of h-entries', async () => {
    const home = byType(parse((await request(t.server).get('/').expect(200)).text).items, 'h-feed');
    expect(home).toHaveLength(1);
    expect(home[0]!.properties.name).toEqual(['Ink & Paper']);
    const entries = (home[0]!.children ?? []).filter((c) => c.type?.includes('h-entry'));
    expect(entries.map((e) => [e.properties.name, e.properties.url, e.properties.category])).toEqual([
      [['Second wind'], [`${SITE_URL}/posts/second-wind`], ['Notes']],
      [['First light'], [`${SITE_URL}/posts/first-light`], ['Sky', 'Notes']],
    ]);
    for (const e of entries) expect(e.properties.published).toHaveLength(1);

    const tag = byType(parse((await request(t.server).get('/tags/sky').expect(200)).text).items, 'h-feed');
    expect(tag[0]!.properties.name).toEqual(['Posts tagged Sky']);
    expect((tag[0]!.children ?? []).map((e) => e.properties.name)).toEqual([['First light']]);
  });
});
