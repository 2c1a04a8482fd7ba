import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRequire } from 'node:module';

import { jest } from '@jest/globals';
import sharp from 'sharp';
import request from 'supertest';

import { EntityManager } from '@mikro-orm/better-sqlite';
import type { EventSubscriber } from '@mikro-orm/core';

import { type CardContent, type CardManifest, Media, Post, renderCard } from '@app/content';

import { CARD_ASSETS_DIR, ROOT_DIR } from '../src/paths.js';
import { PageCache } from '../src/site/page-cache.service.js';
import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { bytes } from './support/media-http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** satori's own font parser (its dependency): reads a font's cmap. */
const opentype = createRequire(import.meta.url)('@shuding/opentype.js') as {
  parse(data: ArrayBuffer): { charToGlyphIndex(ch: string): number };
};

// Real renders (satori + resvg, ~0.05–1 s each; the Unicode case makes ~60) on a loaded 2-core machine.
jest.setTimeout(300_000);

const meta = (html: string, key: string): string | null =>
  new RegExp(`<meta (?:property|name)="${key.replace(/[.:]/g, '\\$&')}" content="([^"]*)">`).exec(html)?.[1] ?? null;

/** The post page's og:image, as a path of this blog (null: none). */
const ogImagePath = (html: string): string | null => {
  const url = meta(html, 'og:image');
  return url === null ? null : new URL(url).pathname;
};

const getBytes = (t: TestApp, path: string) => request(t.server).get(path).buffer(true).parse(bytes);

type Pixels = { data: Buffer; width: number; height: number };

async function pixels(png: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Share of pixels whose colour differs by more than a little between two same-sized images. */
async function differingShare(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  expect([pa.width, pa.height]).toEqual([pb.width, pb.height]);
  let differing = 0;
  for (let i = 0; i < pa.data.length; i += 3) {
    const d =
      Math.abs(pa.data[i] - pb.data[i]) + Math.abs(pa.data[i + 1] - pb.data[i + 1]) + Math.abs(pa.data[i + 2] - pb.data[i + 2]);
    if (d > 48) differing++;
  }
  return differing / (pa.width * pa.height);
}

/**
 * Whether a card whose title is one grapheme shows a box (.notdef, "tofu") instead of a glyph:
 * the title's ink (pixels that differ from the same card with an empty title) has a closed
 * outline all round its bounding box and an almost empty inside. Glyphs do not: the boxiest
 * tried (田 口 回) leave ≥ 15 % of the outline open, a solid bar (ا) is full inside.
 */
async function looksLikeTofu(png: Buffer, blank: Pixels): Promise<boolean> {
  const card = await pixels(png);
  const W = card.width;
  const mask = new Uint8Array(W * card.height);
  let [x0, y0, x1, y1] = [W, card.height, -1, -1];
  for (let p = 0, i = 0; p < mask.length; p++, i += 3) {
    const d =
      Math.abs(card.data[i] - blank.data[i]) +
      Math.abs(card.data[i + 1] - blank.data[i + 1]) +
      Math.abs(card.data[i + 2] - blank.data[i + 2]);
    if (d <= 96) continue;
    mask[p] = 1;
    const x = p % W;
    const y = (p - x) / W;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  const ink = (x: number, y: number) => mask[y * W + x] === 1;
  if (x1 - x0 < 8) return false;
  const near = (x: number, y: number) => {
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (ink(x + dx, y + dy)) return true;
    return false;
  };
  let outline = 0;
  let around = 0;
  for (let x = x0; x <= x1; x++, around += 2) outline += Number(near(x, y0)) + Number(near(x, y1));
  for (let y = y0; y <= y1; y++, around += 2) outline += Number(near(x0, y)) + Number(near(x1, y));
  let inside = 0;
  let area = 0;
  for (let y = Math.round(y0 + 0.2 * (y1 - y0)); y <= y0 + 0.8 * (y1 - y0); y++)
    for (let x = Math.round(x0 + 0.2 * (x1 - x0)); x <= x0 + 0.8 * (x1 - x0); x++, area++) inside += Number(ink(x, y));
  return outline / around >= 0.9 && inside / area < 0.35;
}

/**
 * The card assets without any fallback font or emoji: what a card looks like when its glyphs are
 * missing (satori draws .notdef boxes, "tofu").
 */
function tofuAssets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-tofu-'));
  const manifest = JSON.parse(readFileSync(join(CARD_ASSETS_DIR, 'manifest.json'), 'utf8')) as CardManifest;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, fallbacks: [], emojiDir: 'no-emoji' }));
  symlinkSync(join(CARD_ASSETS_DIR, 'fonts'), join(dir, 'fonts'));
  return dir;
}

describe('social cards', () => {
  let t: TestApp;
  let admin: Agent;
  let csrf: string;

  const savePost = (path: string, fields: Record<string, string>) =>
    admin
      .post(path)
      .type('form')
      .send({
        _csrf: csrf,
        slug: '',
        markdown: 'Words.',
        tags: '',
        status: 'published',
        publishedAt: '2026-11-20T09:00',
        ...fields,
      });

  const upload = async (data: Buffer, filename: string) => {
    const res = await admin
      .post('/admin/media')
      .set('X-CSRF-Token', csrf)
      .set('Accept', 'application/json')
      .attach('file', data, { filename, contentType: 'image/png' })
      .expect(201);
    return res.body as { id: number; url: string; width: number; height: number };
  };

  const mediaFiles = () => readdirSync(join(t.dir, 'media')).sort();

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent: admin, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  it('publishing makes a 1200×630 PNG card that og:image and twitter:image name; the page stays cached', async () => {
    const saved = await savePost('/admin/posts/new', { title: 'Harbour lights at dusk' }).expect(303);
    const editPath = new URL(saved.headers.location, 'http://x').pathname;

    const cache = t.app.get(PageCache);
    const before = cache.stats();
    const page = await request(t.server).get('/posts/harbour-lights-at-dusk').expect(200);
    const again = await request(t.server).get('/posts/harbour-lights-at-dusk').expect(200);
    expect(cache.stats().hits - before.hits).toBe(1); // the card makes no page uncacheable
    expect(again.text).toBe(page.text);

    const path = ogImagePath(page.text);
    expect(path).toMatch(/^\/media\/\d+\/card-harbour-lights-at-dusk\.png$/);
    expect(meta(page.text, 'og:image')).toBe(`http://blog.test${path}`);
    expect(meta(page.text, 'twitter:image')).toBe(`http://blog.test${path}`);
    expect(meta(page.text, 'twitter:card')).toBe('summary_large_image');
    expect(meta(page.text, 'og:image:width')).toBe('1200');
    expect(meta(page.text, 'og:image:height')).toBe('630');
    expect(meta(page.text, 'og:image:type')).toBe('image/png');
    expect(meta(page.text, 'og:image:alt')).toBe('Harbour lights at dusk');

    const card = await getBytes(t, path!).expect(200).expect('Content-Type', 'image/png');
    const info = await sharp(card.body as Buffer).metadata();
    expect([info.format, info.width, info.height]).toEqual(['png', 1200, 630]);
    // The theme's accent colour runs along the top.
    const { data } = await pixels(card.body as Buffer);
    expect([...data.subarray((5 * 1200 + 600) * 3, (5 * 1200 + 600) * 3 + 3)]).toEqual([0x9c, 0x3d, 0x10]);

    // Saved again unchanged: the same card, and no new object in the media store.
    const objects = mediaFiles();
    await savePost(editPath, { title: 'Harbour lights at dusk', markdown: 'Other words.' }).expect(303);
    const same = await request(t.server).get('/posts/harbour-lights-at-dusk').expect(200);
    expect(ogImagePath(same.text)).toBe(path);
    expect(mediaFiles()).toEqual(objects);
  });

  it('a new title makes a new card; the cached page names it and the old card is gone', async () => {
    await savePost('/admin/posts/new', { title: 'First title' }).expect(303);
    const first = await request(t.server).get('/posts/first-title').expect(200);
    const oldPath = ogImagePath(first.text)!;
    const oldCard = (await getBytes(t, oldPath).expect(200)).body as Buffer;
    const id = (await t.run(() => t.services.posts.findVisibleBySlug('first-title')))!.id;

    await savePost(`/admin/posts/${id}/edit`, { title: 'A second, longer title', slug: 'first-title' }).expect(303);
    const second = await request(t.server).get('/posts/first-title').expect(200);
    const newPath = ogImagePath(second.text)!;
    expect(newPath).not.toBe(oldPath);
    const newCard = (await getBytes(t, newPath).expect(200).expect('Content-Type', 'image/png')).body as Buffer;
    expect(await differingShare(oldCard, newCard)).toBeGreaterThan(0.005);
    await request(t.server).get(oldPath).expect(404);
  });

  it('shows the feature image (the first uploaded image of the post) on the card', async () => {
    const red = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#d01010' } })
      .png()
      .toBuffer();
    const image = await upload(red, 'red.png');
    // A long title: the image keeps its panel whatever the text needs.
    const title = 'With a photo, and a title long enough to need three or four lines of type on the card';
    await savePost('/admin/posts/new', {
      title,
      slug: 'with-a-photo',
      markdown: `![A red field](${image.url})\n\nWords.`,
    }).expect(303);
    const page = await request(t.server).get('/posts/with-a-photo').expect(200);
    const card = (await getBytes(t, ogImagePath(page.text)!).expect(200)).body as Buffer;
    const { data } = await pixels(card);
    const at = (x: number, y: number) => [...data.subarray((y * 1200 + x) * 3, (y * 1200 + x) * 3 + 3)];
    for (const [r, g, b] of [at(1000, 315), at(1190, 20), at(770, 620)]) {
      expect(r).toBeGreaterThan(180);
      expect(g + b).toBeLessThan(80);
    }
    expect(at(100, 600)).toEqual([0xfd, 0xfc, 0xfa]); // the text side keeps the theme's background
  });

  it('the author can replace the card with an uploaded image and go back to the generated one', async () => {
    await savePost('/admin/posts/new', { title: 'Replaced card' }).expect(303);
    const id = (await t.run(() => t.services.posts.findVisibleBySlug('replaced-card')))!.id;
    const generated = ogImagePath((await request(t.server).get('/posts/replaced-card').expect(200)).text);
    const photo = await upload(
      await sharp({ create: { width: 640, height: 320, channels: 3, background: '#1060d0' } })
        .png()
        .toBuffer(),
      'my-card.png',
    );

    await savePost(`/admin/posts/${id}/edit`, { title: 'Replaced card', slug: 'replaced-card', cardImage: photo.url }).expect(
      303,
    );
    let page = await request(t.server).get('/posts/replaced-card').expect(200);
    expect(ogImagePath(page.text)).toBe(photo.url);
    expect(meta(page.text, 'og:image:width')).toBe('640');
    expect(meta(page.text, 'og:image:height')).toBe('320');
    expect(meta(page.text, 'twitter:card')).toBe('summary_large_image');
    const editor = await admin.get(`/admin/posts/${id}/edit`).expect(200);
    expect(editor.text).toContain(`name="cardImage" value="${photo.url}"`);
    // In use as a card: the library will not delete it.
    await admin.post(`/admin/media/${photo.id}/delete`).type('form').send({ _csrf: csrf }).expect(409);

    // Not an image of the library: refused, nothing saved.
    const refused = await savePost(`/admin/posts/${id}/edit`, {
      title: 'Replaced card',
      slug: 'replaced-card',
      cardImage: 'https://elsewhere.example/x.png',
    }).expect(400);
    expect(refused.text).toContain('The social card image must be the address of an image from the media library');
    expect(ogImagePath((await request(t.server).get('/posts/replaced-card').expect(200)).text)).toBe(photo.url);

    await savePost(`/admin/posts/${id}/edit`, { title: 'Replaced card', slug: 'replaced-card', cardImage: '' }).expect(303);
    page = await request(t.server).get('/posts/replaced-card').expect(200);
    expect(ogImagePath(page.text)).toBe(generated);
  });

  it('renders CJK, Hangul, Arabic, Indic and emoji titles with their glyphs, not tofu', async () => {
    const tofu = tofuAssets();
    const dateIn = (language: string) =>
      new Intl.DateTimeFormat(language, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(
        new Date('2026-11-20T09:00Z'),
      );
    try {
      const site = await t.run(() => t.services.settings.get());
      const samples = [
        ['cjk', '漢字とかな、世界の朝'],
        ['hangul', '안녕 세계'],
        ['arabic', 'مرحبا بالعالم من المدونة'],
        // Conjuncts and vowel signs: satori shapes them with HarfBuzz (क्ष, स्ते, त्रि).
        ['devanagari', 'नमस्ते क्षत्रिय'],
        ['bengali', 'বাংলা লেখা'],
        ['tamil', 'தமிழ் எழுத்து'],
        ['emoji', '🎉👩‍💻🌍🚀'],
      ] as const;
      for (const [slug, title] of samples) {
        await savePost('/admin/posts/new', { title, slug }).expect(303);
        const page = await request(t.server).get(`/posts/${slug}`).expect(200);
        const served = (await getBytes(t, ogImagePath(page.text)!).expect(200)).body as Buffer;
        const content: CardContent = { title, siteName: site.title, date: dateIn(site.language), feature: null };
        // The served card is this content rendered with the build's assets…
        expect(Buffer.compare(served, await renderCard(content, CARD_ASSETS_DIR))).toBe(0);
        // …and differs clearly from the same card drawn without fallback fonts or emoji (boxes).
        const boxes = await renderCard(content, tofu);
        expect(await differingShare(served, boxes)).toBeGreaterThan(0.01);
        // Each character alone too: a title where most glyphs render could hide a few boxes.
        // Emoji by grapheme, against the card without emoji; letters by code point (a lone vowel
        // sign or virama has its glyph too), drawn by the renderer that just drew the whole title
        // (a font subset that lost to another of its family drew boxes here), none a box.
        if (slug === 'emoji') {
          const graphemes = [...new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(title)].map((g) => g.segment);
          for (const ch of new Set(graphemes)) {
            const one = { ...content, title: ch };
            const [glyph, box] = await Promise.all([renderCard(one, CARD_ASSETS_DIR), renderCard(one, tofu)]);
            expect({ ch, differs: (await differingShare(glyph, box)) > 0.0003 }).toEqual({ ch, differs: true });
          }
          continue;
        }
        const blank = await pixels(await renderCard({ ...content, title: '' }, CARD_ASSETS_DIR));
        const letters = [...new Set([...title].filter((c) => c.trim() && !/^[、,]$/.test(c)))];
        // The box check sees the boxes of the card without fonts…
        const box = await renderCard({ ...content, title: letters[0] }, tofu);
        expect({ ch: letters[0], tofu: await looksLikeTofu(box, blank) }).toEqual({ ch: letters[0], tofu: true });
        for (const ch of letters) {
          const glyph = await renderCard({ ...content, title: ch }, CARD_ASSETS_DIR);
          expect({ ch, tofu: await looksLikeTofu(glyph, blank) }).toEqual({ ch, tofu: false });
        }
      }
      // Pixels alone cannot tell a glyph from another font's box (.notdef differs by font): every
      // letter must also have a glyph in a font the card loads for it (the fonts' own cmaps).
      const manifest = JSON.parse(readFileSync(join(CARD_ASSETS_DIR, 'manifest.json'), 'utf8')) as CardManifest;
      const fonts = [...manifest.primary, ...manifest.fallbacks];
      const hasGlyph = (ch: string) =>
        fonts
          .filter((f) => f.ranges.some(([from, to]) => ch.codePointAt(0)! >= from && ch.codePointAt(0)! <= to))
          .some((f) => {
            const data = readFileSync(join(CARD_ASSETS_DIR, f.file));
            return opentype.parse(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)).charToGlyphIndex(ch) > 0;
          });
      const letters = samples.filter(([slug]) => slug !== 'emoji').flatMap(([, title]) => [...title]);
      for (const ch of new Set(letters.filter((c) => c.trim()))) {
        expect({ ch, glyph: hasGlyph(ch) }).toEqual({ ch, glyph: true });
      }
      // Several in one title: rendered and stored.
      await savePost('/admin/posts/new', { title: 'Hello 世界 안녕 नमस्ते مرحبا 🎉', slug: 'all-scripts' }).expect(303);
      const page = await request(t.server).get('/posts/all-scripts').expect(200);
      const all = await getBytes(t, ogImagePath(page.text)!).expect(200).expect('Content-Type', 'image/png');
      // The README shows it (rewritten on every run, like the browser specs' screenshots).
      writeFileSync(join(ROOT_DIR, 'docs', 'screenshots', 'social-card.png'), all.body as Buffer);
    } finally {
      rmSync(tofu, { recursive: true, force: true });
    }
  });

  it('makes the cards imported posts lack when the author opens the dashboard, and never shows a stale one', async () => {
    const importMarkdown = (title: string) =>
      admin
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`)
        .attach(
          'files',
          Buffer.from(
            ['---', `title: ${title}`, 'slug: brought-along', 'date: 2024-05-01', '---', '', 'From the old blog.'].join('\n'),
          ),
          {
            filepath: 'brought-along.md',
            contentType: 'text/markdown',
          } as { contentType: string },
        )
        .expect(200);
    await importMarkdown('Brought along');
    const before = await request(t.server).get('/posts/brought-along').expect(200);
    expect(meta(before.text, 'og:image')).toBeNull();
    expect(meta(before.text, 'twitter:card')).toBe('summary');

    await admin.get('/admin').expect(200);
    const after = await request(t.server).get('/posts/brought-along').expect(200);
    const path = ogImagePath(after.text);
    expect(path).toMatch(/^\/media\/\d+\/card-brought-along\.png$/);
    await getBytes(t, path!).expect(200).expect('Content-Type', 'image/png');

    // Imported again with a new title: the old card is no longer shown, the dashboard makes the next.
    await importMarkdown('Brought along, renamed');
    const renamed = await request(t.server).get('/posts/brought-along').expect(200);
    expect(renamed.text).toContain('Brought along, renamed');
    expect(meta(renamed.text, 'og:image')).toBeNull();
    await admin.get('/admin').expect(200);
    const next = ogImagePath((await request(t.server).get('/posts/brought-along').expect(200)).text);
    expect(next).toMatch(/^\/media\/\d+\/card-brought-along\.png$/);
    expect(next).not.toBe(path);
  });
});

describe('social cards: a save and the dashboard drawing cards at the same time', () => {
  let t: TestApp;
  let admin: Agent;
  let csrf: string;

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent: admin, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  const save = (title: string, slug: string) =>
    admin
      .post('/admin/posts/new')
      .type('form')
      .send({ _csrf: csrf, title, slug, markdown: 'Words.', tags: '', status: 'published', publishedAt: '2026-11-20T09:00' });

  /** The post's card as the post page names it, served. */
  async function servedCard(slug: string): Promise<string | null> {
    const path = ogImagePath((await request(t.server).get(`/posts/${slug}`).expect(200)).text);
    if (path) await getBytes(t, path).expect(200).expect('Content-Type', 'image/png');
    return path;
  }

  it("a card stored by a save is never deleted by the dashboard's catch-up before the post names it", async () => {
    // A post without a card (as after an import): the dashboard's catch-up will draw it.
    const other = await t.createPost({ title: 'Waiting for its card' });
    const em = t.app.get(EntityManager);
    await em.fork().nativeUpdate(Post, { id: other.id }, { cardId: null, cardSource: null });

    // The interleaving, made to happen: as soon as a transaction that stored the saved post's
    // card row commits, the dashboard is visited (and draws the other card) before the save goes
    // on. Before the card's row and its link shared one transaction, the row was committed alone,
    // the dashboard's clean-up deleted it as unused, and the post then named a deleted row.
    let armed = true;
    let cardRowStored = false;
    let dashboard = 0;
    const subscriber: EventSubscriber = {
      afterCreate: async ({ entity }) => {
        if (armed && entity instanceof Media && entity.purpose === 'social-card') cardRowStored = true;
      },
      afterTransactionCommit: async () => {
        if (!armed || !cardRowStored) return;
        armed = false;
        dashboard = (await admin.get('/admin')).status;
      },
    };
    em.getEventManager().registerSubscriber(subscriber);
    try {
      await save('Saved while the dashboard draws', 'saved-while-drawing').expect(303);
    } finally {
      armed = false; // MikroORM has no way to unregister it: it stays, disarmed.
    }
    expect(dashboard).toBe(200);
    expect(await servedCard('saved-while-drawing')).toMatch(/^\/media\/\d+\/card-saved-while-drawing\.png$/);
    expect(await servedCard(other.slug)).toMatch(/^\/media\/\d+\/card-waiting-for-its-card\.png$/);
  });

  it('a post naming a card row that is gone gets a new card on the dashboard and on its next save', async () => {
    await save('Lost its card', 'lost-its-card').expect(303);
    const em = t.app.get(EntityManager);
    const cardOf = async () => (await em.fork().findOneOrFail(Post, { slug: 'lost-its-card' })).cardId!;
    // What the race above left behind on blogs that met it: the row is gone, the post names it.
    await em.fork().nativeDelete(Media, { id: await cardOf() });
    expect(await servedCard('lost-its-card')).toBeNull();

    await admin.get('/admin').expect(200);
    expect(await servedCard('lost-its-card')).toMatch(/^\/media\/\d+\/card-lost-its-card\.png$/);

    await em.fork().nativeDelete(Media, { id: await cardOf() });
    const id = (await em.fork().findOneOrFail(Post, { slug: 'lost-its-card' })).id;
    await admin
      .post(`/admin/posts/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrf,
        title: 'Lost its card',
        slug: 'lost-its-card',
        markdown: 'Words.',
        tags: '',
        status: 'published',
        publishedAt: '2026-11-20T09:00',
      })
      .expect(303);
    expect(await servedCard('lost-its-card')).toMatch(/^\/media\/\d+\/card-lost-its-card\.png$/);
  });
});

describe('social cards: a render that fails', () => {
  let t: TestApp;

  // 1 ms: every render runs out of time (loading satori alone takes longer).
  beforeAll(async () => {
    t = await startTestApp({ SOCIAL_CARD_TIMEOUT_MS: '1' });
  });
  afterAll(() => t.close());

  it('never fails the save: 303, and the page has no og:image', async () => {
    const { agent, csrf } = await loggedInAgent(t);
    await agent
      .post('/admin/posts/new')
      .type('form')
      .send({ _csrf: csrf, title: 'Saved anyway', slug: '', markdown: 'Words.', tags: '', status: 'published', publishedAt: '' })
      .expect(303);
    const page = await request(t.server).get('/posts/saved-anyway').expect(200);
    expect(meta(page.text, 'og:image')).toBeNull();
    expect(meta(page.text, 'twitter:card')).toBe('summary');
    expect(page.text).toContain('Saved anyway');
  });
});
