import { jest } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import request from 'supertest';

import { MediaService } from '@app/content';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { bytes } from './support/media-http.js';
import { PNG_SIGNATURE, png, pngChunk, pngIhdr } from './support/media-images.js';
import {
  ANIMATION,
  animatedGif,
  animatedGifWithComment,
  animatedWebpWithGps,
  exifHasGps,
  framePixels,
  metadataOf,
  photo,
} from './support/photos.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// sharp encodes AVIF and WebP renditions of real photos on a loaded 2-core machine.
jest.setTimeout(120_000);

interface UploadAnswer {
  id: number;
  url: string;
  width: number;
  height: number;
}

describe('renditions and what readers get', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;
  const upload = (data: Buffer, filename: string, contentType = 'image/jpeg') =>
    agent
      .post('/admin/media')
      .set('X-CSRF-Token', csrf)
      .set('Accept', 'application/json')
      .attach('file', data, { filename, contentType });
  const get = (url: string) => request(t.server).get(url).buffer(true).parse(bytes);
  const objects = () => readdirSync(join(t.dir, 'media')).sort();
  const rows = () => t.run(() => t.app.get(MediaService).list());

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  it('applies the orientation, drops EXIF (GPS included) and makes AVIF and WebP renditions by width', async () => {
    const original = await photo(1600, 1000, 1, { gps: true, orientation: 6 });
    expect((await metadataOf(original)).exif?.length).toBeGreaterThan(200);
    const body = (await upload(original, 'Harbour at dawn.jpg').expect(201)).body as UploadAnswer;
    // Orientation 6: the camera's 1600 × 1000 is a 1000 × 1600 portrait.
    expect([body.width, body.height]).toEqual([1000, 1600]);
    const served = await get(body.url).expect(200).expect('Content-Type', 'image/jpeg');
    const meta = await metadataOf(served.body as Buffer);
    expect({ exif: meta.exif, orientation: meta.orientation, width: meta.width, height: meta.height }).toEqual({
      exif: undefined,
      orientation: undefined,
      width: 1000,
      height: 1600,
    });

    const [media] = await rows();
    expect(media.renditions.map((r) => `${r.format}@${r.width}x${r.height}`).sort()).toEqual(
      ['avif@1000x1600', 'avif@480x768', 'avif@720x1152', 'webp@1000x1600', 'webp@480x768', 'webp@720x1152'].sort(),
    );
    for (const r of media.renditions) {
      const url = `/media/${body.id}/harbour-at-dawn-${r.width}w.${r.format}`;
      const res = await get(url)
        .expect(200)
        .expect('Content-Type', `image/${r.format}`)
        .expect('Cache-Control', 'public, max-age=31536000, immutable');
      const got = await metadataOf(res.body as Buffer);
      expect({ format: got.format === 'heif' ? 'avif' : got.format, width: got.width, exif: got.exif }).toEqual({
        format: r.format,
        width: r.width,
        exif: undefined,
      });
      expect((res.body as Buffer).length).toBe(r.size);
    }
    // Every object is named by the image's hash (plus the recipe).
    expect(objects().every((name) => name.startsWith(media.sha256))).toBe(true);
    expect(objects()).toHaveLength(7);
  });

  it('writes <picture> markup with srcset, sizes, width/height, lazy below the first image, async decoding', async () => {
    const first = (await upload(await photo(1200, 800, 2), 'first.jpg').expect(201)).body as UploadAnswer;
    const second = (await upload(await photo(900, 600, 3), 'second.jpg').expect(201)).body as UploadAnswer;
    await agent
      .post('/admin/posts/new')
      .type('form')
      .send({
        _csrf: csrf,
        title: 'Two photos',
        markdown: `![First](${first.url})\n\nWords.\n\n![Second](${second.url})\n`,
        status: 'published',
      })
      .expect(303);
    const page = await request(t.server).get('/posts/two-photos').expect(200);
    const pictures = page.text.match(/<picture>[\s\S]*?<\/picture>/g) ?? [];
    expect(pictures).toHaveLength(2);
    expect(pictures[0]).toContain(
      `<source type="image/avif" srcset="/media/${first.id}/first-480w.avif 480w, /media/${first.id}/first-720w.avif 720w, /media/${first.id}/first-1080w.avif 1080w, /media/${first.id}/first-1200w.avif 1200w" sizes="(max-width: 42rem) 100vw, 42rem" />`,
    );
    expect(pictures[0]).toContain(
      `<img src="/media/${first.id}/first.jpg" alt="First" width="1200" height="800" loading="eager" decoding="async" />`,
    );
    expect(pictures[1]).toContain('type="image/webp"');
    expect(pictures[1]).toContain(`width="900" height="600" loading="lazy" decoding="async"`);
    // Every candidate the page names is served.
    for (const url of page.text.matchAll(/(\/media\/\d+\/[\w.-]+) \d+w/g)) await request(t.server).get(url[1]).expect(200);
  });

  it('keeps an animated GIF as uploaded, animation and all, without renditions', async () => {
    const gif = await animatedGif(40, 30);
    const body = (await upload(gif, 'spinner.gif', 'image/gif').expect(201)).body as UploadAnswer;
    const served = await get(body.url).expect(200).expect('Content-Type', 'image/gif');
    expect((served.body as Buffer).equals(gif)).toBe(true);
    expect((await metadataOf(served.body as Buffer)).pages).toBe(2);
    const media = (await rows()).find((m) => m.id === body.id)!;
    expect({ animated: media.animated, renditions: media.renditions }).toEqual({ animated: true, renditions: [] });
  });

  it('drops EXIF with a GPS position from an animated WebP, keeping every frame, delay and the loop', async () => {
    const upload_ = await animatedWebpWithGps(48, 32);
    expect(exifHasGps((await metadataOf(upload_)).exif)).toBe(true);
    const body = (await upload(upload_, 'wave.webp', 'image/webp').expect(201)).body as UploadAnswer;
    const served = (await get(body.url).expect(200).expect('Content-Type', 'image/webp')).body as Buffer;
    const meta = await metadataOf(served);
    expect({ exif: meta.exif, xmp: meta.xmp, pages: meta.pages, delay: meta.delay, loop: meta.loop }).toEqual({
      exif: undefined,
      xmp: undefined,
      pages: 3,
      ...ANIMATION,
    });
    expect([body.width, body.height]).toEqual([48, 32]);
    const media = (await rows()).find((m) => m.id === body.id)!;
    expect({ animated: media.animated, renditions: media.renditions, size: media.size }).toEqual({
      animated: true,
      renditions: [],
      size: served.length,
    });
  });

  it.each([
    ['a 1 MB comment', 1024 * 1024, 'blink.gif'],
    // Small enough to pass the size check: found by walking the GIF's blocks.
    ['a 300-byte comment', 300, 'blink-small.gif'],
  ])('drops %s from an animated GIF, keeping its frames pixel for pixel, delays and loop', async (_what, bytes, name) => {
    const upload_ = await animatedGifWithComment(40, 30, bytes);
    const body = (await upload(upload_, name, 'image/gif').expect(201)).body as UploadAnswer;
    const served = (await get(body.url).expect(200).expect('Content-Type', 'image/gif')).body as Buffer;
    expect(served.length).toBeLessThan(4 * 1024);
    expect(served.includes(Buffer.from('Lat 48.8566'))).toBe(false);
    const meta = await metadataOf(served);
    expect({ pages: meta.pages, delay: meta.delay, loop: meta.loop }).toEqual({ pages: 3, ...ANIMATION });
    expect((await framePixels(served)).equals(await framePixels(upload_))).toBe(true);
  });

  it('turns a CMYK JPEG into sRGB for readers', async () => {
    const cmyk = await photo(800, 500, 4, { cmyk: true });
    expect((await metadataOf(cmyk)).space).toBe('cmyk');
    const body = (await upload(cmyk, 'print.jpg').expect(201)).body as UploadAnswer;
    expect((await metadataOf((await get(body.url).expect(200)).body as Buffer)).space).toBe('srgb');
    const media = (await rows()).find((m) => m.id === body.id)!;
    expect(media.renditions.length).toBeGreaterThan(0);
  });

  it('drops 6 MB of text metadata: the original readers get holds only its pixels', async () => {
    const image = png(64, 64, 5);
    const iend = image.length - 12;
    const bloated = Buffer.concat([
      image.subarray(0, iend),
      pngChunk('tEXt', Buffer.from(`Comment\0${'x'.repeat(6 * 1024 * 1024)}`)),
      image.subarray(iend),
    ]);
    const body = (await upload(bloated, 'bloated.png', 'image/png').expect(201)).body as UploadAnswer;
    const served = (await get(body.url).expect(200)).body as Buffer;
    expect(served.length).toBeLessThan(20 * 1024);
    expect((await metadataOf(served)).comments).toBeUndefined();
  });

  describe('refused, with nothing stored', () => {
    let before: { objects: string[]; rows: number };
    beforeEach(async () => {
      before = { objects: objects(), rows: (await rows()).length };
    });
    afterEach(async () => {
      expect({ objects: objects(), rows: (await rows()).length }).toEqual(before);
    });

    it('a decompression bomb: a PNG declaring 50,000 × 50,000 pixels (415, before decoding)', async () => {
      const row = Buffer.alloc(1 + 3 * 50_000);
      const bomb = Buffer.concat([
        PNG_SIGNATURE,
        pngIhdr(50_000, 50_000),
        pngChunk('IDAT', deflateSync(row)),
        pngChunk('IEND', Buffer.alloc(0)),
      ]);
      expect(bomb.length).toBeLessThan(10_000);
      const started = Date.now();
      const res = await upload(bomb, 'bomb.png', 'image/png').expect(415);
      expect((res.body as { message: string }).message).toBe(
        'This image is 50,000 × 50,000 pixels; images may have at most 40 megapixels.',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('a truncated JPEG whose end marker was glued back on (415, damaged)', async () => {
      const full = await photo(800, 600, 6);
      const cut = Buffer.concat([full.subarray(0, Math.floor(full.length / 2)), Buffer.from([0xff, 0xd9])]);
      const res = await upload(cut, 'cut.jpg').expect(415);
      expect((res.body as { message: string }).message).toBe('The image could not be read; it may be damaged or cut short.');
    });
  });
});
