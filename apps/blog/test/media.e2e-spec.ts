import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';

import { MAX_UPLOAD_BYTES, MediaCache, MediaService } from '@app/content';

import { type Agent, csrfFrom, loggedInAgent } from './support/admin-agent.js';
import { rawGet, bytes, readToTheEnd } from './support/media-http.js';
import { gif, jpeg, png, PNG_SIGNATURE, pngIhdr, pngOfSize, webp } from './support/media-images.js';
import { noisePng } from './support/photos.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Logs in (argon2), decodes images up to the 10 MB limit: seconds on a loaded 2-core machine.
jest.setTimeout(30_000);

interface UploadAnswer {
  id: number;
  url: string;
  markdown: string;
  width: number;
  height: number;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('media uploads', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;
  let shade = 0;
  /** A PNG nobody uploaded yet (the library deduplicates identical bytes). */
  const freshPng = (width = 4, height = 3) => png(width, height, ++shade);

  const stored = () => t.run(() => t.app.get(MediaService).list());

  /** What the editor's paste/drop does: token in the header, JSON back. */
  const uploadJson = (data: Buffer, filename: string, contentType = 'image/png') =>
    agent
      .post('/admin/media')
      .set('X-CSRF-Token', csrf)
      .set('Accept', 'application/json')
      .attach('file', data, { filename, contentType });

  /** What the library's form does: token in the query, a page back. */
  const uploadForm = (data: Buffer, filename: string, contentType = 'image/png') =>
    agent
      .post(`/admin/media?_csrf=${encodeURIComponent(csrf)}`)
      .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
      .attach('file', data, { filename, contentType });

  /** `token: null` sends the form without its `_csrf` field. */
  const deleteMedia = (id: number | string, token: string | null = csrf) =>
    agent
      .post(`/admin/media/${id}/delete`)
      .type('form')
      .send(token === null ? {} : { _csrf: token });

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  describe('accepted images', () => {
    it('stores a PNG and answers the editor with JSON: id, url, Markdown snippet and dimensions', async () => {
      const res = await uploadJson(png(7, 5, 1000), 'Pixel Art.png')
        .expect(201)
        .expect('Content-Type', /application\/json/);
      const body = res.body as UploadAnswer;
      expect(body).toEqual({
        id: expect.any(Number),
        url: `/media/${body.id}/pixel-art.png`,
        markdown: `![](/media/${body.id}/pixel-art.png)`,
        width: 7,
        height: 5,
      });
      expect(body.id).toBeGreaterThan(0);
    });

    it('serves the exact bytes with immutable caching, a content ETag and nosniff; If-None-Match gives 304', async () => {
      const image = freshPng(9, 2);
      const { url } = (await uploadJson(image, 'served.png').expect(201)).body as UploadAnswer;

      const res = await request(t.server).get(url).buffer(true).parse(bytes).expect(200);
      expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers.etag).toBe(`"${sha256(image)}"`);

      const cached = await request(t.server).get(url).set('If-None-Match', res.headers.etag).buffer(true).parse(bytes);
      expect(cached.status).toBe(304);
      expect((cached.body as Buffer).length).toBe(0);
      expect(cached.headers.etag).toBe(res.headers.etag);

      await request(t.server).get(url).set('If-None-Match', '"something-else"').expect(200);
    });

    it.each([
      ['GIF', () => gif(5, 4, ++shade), 'anim.gif', 'image/gif', /\.gif$/, [5, 4]],
      ['JPEG', () => jpeg(20, 9, ++shade), 'photo.jpeg', 'image/jpeg', /\.jpg$/, [20, 9]],
      ['WebP', () => webp(6, 5, ++shade), 'shot.webp', 'image/webp', /\.webp$/, [6, 5]],
    ] as const)('accepts a %s, names it by its real type and serves it as such', async (_k, make, name, mime, ext, size) => {
      const image = make();
      const body = (await uploadJson(image, name, mime).expect(201)).body as UploadAnswer;
      expect([body.width, body.height]).toEqual(size);
      expect(body.url).toMatch(ext);
      const res = await request(t.server).get(body.url).buffer(true).parse(bytes).expect(200);
      expect(res.headers['content-type']).toBe(mime);
      expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
    });

    it('names the file by its bytes, not by the name the browser sent', async () => {
      const body = (await uploadJson(gif(3, 3, ++shade), 'really-a-gif.png', 'image/png').expect(201)).body as UploadAnswer;
      expect(body.url).toBe(`/media/${body.id}/really-a-gif.gif`);
      await request(t.server).get(body.url).expect(200).expect('Content-Type', 'image/gif');
    });

    it('keeps a readable file name from a UTF-8 name (as browsers send it)', async () => {
      const body = (await uploadJson(freshPng(), 'Café déjà vu.png').expect(201)).body as UploadAnswer;
      expect(body.url).toBe(`/media/${body.id}/cafe-deja-vu.png`);
    });

    it('uploads from the library form (token in the query) and redirects back with a notice', async () => {
      const before = (await stored()).length;
      await uploadForm(freshPng(11, 13), 'From The Form.png').expect(303).expect('Location', '/admin/media?notice=uploaded');
      const after = await stored();
      expect(after).toHaveLength(before + 1);
      expect(after[0]).toMatchObject({ filename: 'from-the-form.png', width: 11, height: 13, contentType: 'image/png' });
      const page = await agent.get('/admin/media?notice=uploaded').expect(200);
      expect(page.text).toContain('Image uploaded.');
    });

    it('gives the same id when the same bytes are uploaded twice', async () => {
      const image = freshPng(6, 6);
      const first = (await uploadJson(image, 'twice.png').expect(201)).body as UploadAnswer;
      const before = (await stored()).length;
      const second = (await uploadJson(image, 'another-name.png').expect(201)).body as UploadAnswer;
      expect(second).toEqual(first);
      expect(await stored()).toHaveLength(before);
    });

    it('lists every image in the library with its Markdown snippet, its renditions and the smallest as thumbnail', async () => {
      const body = (await uploadJson(freshPng(12, 8), 'listed.png').expect(201)).body as UploadAnswer;
      const page = await agent.get('/admin/media').expect(200);
      expect(page.text).toContain(`<img src="/media/${body.id}/listed-12w.webp"`);
      expect(page.text).toMatch(/2 renditions \(12 px, AVIF and WebP\) · \d+ KB/);
      expect(page.text).toContain(`value="![](${body.url})"`);
      expect(page.text).toContain('listed.png · 12×8');
      expect(page.text).toMatch(new RegExp(`action="/admin/media/${body.id}/delete"`));
    });
  });

  describe('refused uploads store nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = (await stored()).length;
    });
    afterEach(async () => {
      expect(await stored()).toHaveLength(before);
    });

    it('refuses a text file named x.png (415), whatever the browser says its type is', async () => {
      const res = await uploadJson(Buffer.from('just some text, not an image\n'), 'x.png', 'image/png').expect(415);
      expect(res.body).toEqual({ statusCode: 415, message: 'Only PNG, JPEG, WebP and GIF images can be uploaded.' });
      const page = await agent.get('/admin/media').expect(200);
      expect(page.text).not.toContain('/x.png');
    });

    it.each([
      [
        'with a script',
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>',
      ],
      [
        'without a script',
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
      ],
    ])('refuses an SVG %s (415)', async (_k, svg) => {
      await uploadJson(Buffer.from(svg), 'drawing.svg', 'image/svg+xml').expect(415);
      await uploadForm(Buffer.from(svg), 'drawing.png', 'image/png').expect(415);
    });

    it('refuses a PNG signature followed by junk with a 4xx, not a 500', async () => {
      const junk = Buffer.concat([PNG_SIGNATURE, Buffer.from('this is not a PNG chunk at all, just junk '.repeat(4))]);
      const res = await uploadJson(junk, 'junk.png');
      expect(res.status).toBe(415);
    });

    it('refuses a PNG cut off inside its header (415) instead of storing made-up dimensions', async () => {
      const cut = Buffer.from(png(3, 2, ++shade).subarray(0, 20));
      const res = await uploadJson(cut, 'cut-header.png');
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 415,
        body: expect.objectContaining({ message: expect.stringMatching(/damaged|Only PNG/) }),
      });
    });

    it('refuses a truncated PNG (header, but no image data or end) with a 4xx', async () => {
      const truncated = Buffer.concat([PNG_SIGNATURE, pngIhdr(3, 2)]);
      const res = await uploadJson(truncated, 'truncated.png');
      expect(res.status).toBe(415);
    });

    it('refuses a PNG whose header is followed by junk instead of image data (4xx)', async () => {
      const damaged = Buffer.concat([PNG_SIGNATURE, pngIhdr(3, 2), Buffer.from('garbage garbage garbage garbage')]);
      const res = await uploadJson(damaged, 'damaged.png');
      expect(res.status).toBe(415);
    });

    it('refuses an 11 MB upload with 413 and a clear message (JSON and page)', async () => {
      const big = pngOfSize(11 * 1024 * 1024, ++shade);
      const json = await uploadJson(big, 'big.png').expect(413);
      expect((json.body as { message: string }).message).toMatch(/at most 10 MB/);
      const page = await uploadForm(big, 'big.png').expect(413);
      expect(page.text).toContain('at most 10 MB');
    });

    it('refuses one byte over the limit (413)', async () => {
      await uploadJson(pngOfSize(MAX_UPLOAD_BYTES + 1, ++shade), 'just-over.png').expect(413);
    });

    it('answers 4xx when no file is sent', async () => {
      const noMultipart = await agent.post('/admin/media').set('X-CSRF-Token', csrf).set('Accept', 'application/json');
      expect(noMultipart.status).toBe(415);
      expect((noMultipart.body as { message: string }).message).toBe('Choose an image file to upload.');
      const fieldOnly = await agent
        .post('/admin/media')
        .set('X-CSRF-Token', csrf)
        .set('Accept', 'application/json')
        .field('title', 'no file here');
      expect(fieldOnly.status).toBe(415);
      const empty = await uploadJson(Buffer.alloc(0), 'empty.png');
      expect(empty.status).toBe(415);
    });

    it('answers 400 for a file in another field or for two files', async () => {
      const otherField = await agent
        .post('/admin/media')
        .set('X-CSRF-Token', csrf)
        .set('Accept', 'application/json')
        .attach('image', freshPng(), 'other-field.png');
      expect(otherField.status).toBe(400);
      const two = await agent
        .post('/admin/media')
        .set('X-CSRF-Token', csrf)
        .set('Accept', 'application/json')
        .attach('file', freshPng(), 'one.png')
        .attach('file', freshPng(), 'two.png');
      expect(two.status).toBe(400);
    });

    it('refuses an upload without or with a wrong CSRF token (403)', async () => {
      const image = freshPng();
      await agent
        .post('/admin/media')
        .set('Accept', 'application/json')
        .attach('file', image, { filename: 'no-token.png', contentType: 'image/png' })
        .expect(403);
      await agent
        .post('/admin/media')
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', 'not-the-token')
        .attach('file', image, { filename: 'bad-token.png', contentType: 'image/png' })
        .expect(403);
      await agent
        .post('/admin/media?_csrf=not-the-token')
        .attach('file', image, { filename: 'bad-query.png', contentType: 'image/png' })
        .expect(403);
    });

    it('refuses an upload from someone not logged in, even with a token', async () => {
      const stranger = request.agent(t.server);
      const login = await stranger.get('/admin/login').expect(200);
      const token = csrfFrom(login.text);
      const json = await stranger
        .post('/admin/media')
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', token)
        .attach('file', freshPng(), { filename: 'stranger.png', contentType: 'image/png' });
      expect(json.status).toBe(401);
      const form = await stranger
        .post(`/admin/media?_csrf=${encodeURIComponent(token)}`)
        .set('Accept', 'text/html')
        .attach('file', freshPng(), { filename: 'stranger.png', contentType: 'image/png' });
      // A write without a session is refused with 401 (only GETs are redirected to the login form).
      expect({ status: form.status, location: form.headers.location as unknown }).toEqual({ status: 401, location: undefined });
    });
  });

  it('accepts an image of exactly the size limit', async () => {
    const body = (await uploadJson(pngOfSize(MAX_UPLOAD_BYTES, ++shade), 'exactly-ten.png').expect(201)).body as UploadAnswer;
    expect([body.width, body.height]).toEqual([1, 1]);
    await deleteMedia(body.id).expect(303);
  });

  describe('deleting', () => {
    it('deletes an image no post uses; its URL then 404s', async () => {
      const body = (await uploadJson(freshPng(), 'unused.png').expect(201)).body as UploadAnswer;
      await request(t.server).get(body.url).expect(200);
      await deleteMedia(body.id).expect(303).expect('Location', '/admin/media?notice=deleted');
      await request(t.server).get(body.url).expect(404);
      expect((await stored()).map((m) => m.id)).not.toContain(body.id);
      const page = await agent.get('/admin/media?notice=deleted').expect(200);
      expect(page.text).toContain('Deleted.');
      expect(page.text).not.toContain(body.url);
    });

    it('refuses to delete without the CSRF token (403) and keeps the image', async () => {
      const body = (await uploadJson(freshPng(), 'kept.png').expect(201)).body as UploadAnswer;
      await deleteMedia(body.id, null).expect(403);
      await deleteMedia(body.id, 'forged').expect(403);
      await request(t.server).get(body.url).expect(200);
    });

    it('refuses to delete an image a post links to (409) and keeps it', async () => {
      const body = (await uploadJson(freshPng(), 'in-use.png').expect(201)).body as UploadAnswer;
      await agent
        .post('/admin/posts/new')
        .type('form')
        .send({ _csrf: csrf, title: 'A post with a chart', markdown: `Look:\n\n![chart](${body.url})\n`, status: 'published' })
        .expect(303);
      const res = await deleteMedia(body.id).expect(409);
      expect(res.text).toContain('used in 1 post(s) or page(s)');
      await request(t.server).get(body.url).expect(200);
      expect((await stored()).find((m) => m.id === body.id)).toMatchObject({ usedBy: 1 });
      const page = await agent.get('/admin/media').expect(200);
      expect(page.text).toContain('Used in 1 post(s) or page(s)');
      expect(page.text).toMatch(
        /Used in 1 post\(s\) or page\(s\):\s*<a href="\/admin\/posts\/\d+\/edit">A post with a chart<\/a>/,
      );
      expect(page.text).not.toContain(`action="/admin/media/${body.id}/delete"`);
    });

    it('refuses to delete an image only an earlier revision shows (409, naming it); a restore then shows it whole', async () => {
      const body = (await uploadJson(freshPng(), 'once-shown.png').expect(201)).body as UploadAnswer;
      const fields = {
        _csrf: csrf,
        title: 'Rewritten <post>',
        slug: 'rewritten-post',
        tags: '',
        status: 'published',
        publishedAt: '',
      };
      const created = await agent
        .post('/admin/posts/new')
        .type('form')
        .send({ ...fields, markdown: `Then:\n\n![then](${body.url})\n` })
        .expect(303);
      const postId = Number(/\/admin\/posts\/(\d+)\/edit/.exec(String(created.headers.location))![1]);
      await agent
        .post(`/admin/posts/${postId}/edit`)
        .type('form')
        .send({ ...fields, markdown: 'Now without the picture.' })
        .expect(303);
      const list = await agent.get(`/admin/posts/${postId}/revisions`).expect(200);
      const first = Math.min(
        ...[...list.text.matchAll(new RegExp(`/admin/posts/${postId}/revisions/(\\d+)"`, 'g'))].map((m) => Number(m[1])),
      );

      const res = await deleteMedia(body.id).expect(409);
      expect(res.text).toContain(`An earlier revision of the post “Rewritten &lt;post&gt;” (revision ${first}, saved `);
      expect(res.text).toContain('restoring it would show a broken image, so the image is kept.');
      expect(res.text).not.toMatch(/at .*\.js/);
      const page = await agent.get('/admin/media').expect(200);
      expect(page.text).toContain(
        `<a href="/admin/posts/${postId}/revisions/${first}">Rewritten &lt;post&gt; (an earlier revision)</a>`,
      );
      expect(page.text).not.toContain(`action="/admin/media/${body.id}/delete"`);

      await agent.post(`/admin/posts/${postId}/revisions/${first}/restore`).type('form').send({ _csrf: csrf }).expect(303);
      const post = await request(t.server).get('/posts/rewritten-post').expect(200);
      expect(post.text).toContain(`src="${body.url}"`);
      await request(t.server).get(body.url).expect(200);
    });

    it('answers 404 for an image that does not exist and 400 for an id that is not a number', async () => {
      await deleteMedia(99999).expect(404);
      await deleteMedia('abc').expect(400);
    });
  });

  describe('serving', () => {
    it.each([
      '/media/abc/x.png',
      '/media/0/x',
      '/media/99999/x.png',
      '/media/01/x.png',
      '/media/1.5/x.png',
      '/media/-1/x.png',
      '/media/9999999999/x.png',
      '/media/99999999999/x.png',
    ])('404s on %s', async (path) => {
      await request(t.server).get(path).expect(404);
    });

    describe('originals over 2 MB: streamed from the store, never held in memory', () => {
      const TWO_MB = 2 * 1024 * 1024;
      /** Uploads a fresh noisy PNG over 2 MB; its URL, bytes and the object's path in ./media. */
      const uploadLarge = async (seed: number) => {
        const image = await noisePng(1000, 800, seed);
        expect(image.length).toBeGreaterThan(TWO_MB);
        const { url } = (await uploadJson(image, `large-${seed}.png`).expect(201)).body as UploadAnswer;
        const object = join(t.dir, 'media', `${sha256(image)}.png`);
        expect(existsSync(object)).toBe(true);
        return { url, image, object };
      };

      it('answers the exact bytes with immutable caching, length, type and ETag; 304 and HEAD as for small ones', async () => {
        const { url, image } = await uploadLarge(1);
        const res = await request(t.server).get(url).buffer(true).parse(bytes).expect(200);
        expect((res.body as Buffer).equals(image)).toBe(true);
        expect(res.headers['content-type']).toBe('image/png');
        expect(res.headers['content-length']).toBe(String(image.length));
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers.etag).toBe(`"${sha256(image)}"`);
        // Streamed, not cached: one large original must not push a page's renditions out of memory.
        expect(t.app.get(MediaCache).get(`${sha256(image)}.png`)).toBeUndefined();

        const again = await request(t.server).get(url).set('If-None-Match', res.headers.etag).buffer(true).parse(bytes);
        expect(again.status).toBe(304);
        expect((again.body as Buffer).length).toBe(0);

        const head = await request(t.server).head(url).expect(200);
        expect(head.headers['content-length']).toBe(String(image.length));
        expect(head.headers['content-type']).toBe('image/png');
        expect(head.headers.etag).toBe(`"${sha256(image)}"`);
        expect(head.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      });

      it('cuts the connection when the store gives fewer bytes than the row promises (no hung reader)', async () => {
        const { url, image, object } = await uploadLarge(2);
        truncateSync(object, 1024 * 1024);
        const res = await readToTheEnd(t.app, url);
        expect(res.status).toBe(200);
        expect(res.headers['content-length']).toBe(String(image.length));
        expect(res.complete).toBe(false);
        expect(res.body.length).toBeLessThanOrEqual(1024 * 1024);
        expect(res.body.equals(image.subarray(0, res.body.length))).toBe(true);
        // The app goes on serving.
        await request(t.server).get('/').expect(200);
      });

      it('answers a plain 404 when the object is gone before the first byte: no stack, no immutable caching', async () => {
        const { url, image, object } = await uploadLarge(3);
        unlinkSync(object);
        const res = await readToTheEnd(t.app, url);
        expect(res.status).toBe(404);
        expect(res.complete).toBe(true);
        expect(res.body.toString()).toBe('Not Found');
        expect(res.headers['cache-control']).toBeUndefined();
        // Express's own ETag of the text "Not Found" at most, never the image's.
        expect(res.headers.etag).not.toBe(`"${sha256(image)}"`);
      });
    });

    it.each(['/media/../../package.json', '/media/%2e%2e/%2e%2e/package.json', '/media/..%2f..%2fpackage.json/x'])(
      '404s on the traversal %s (sent as is) and never serves a file from disk',
      async (path) => {
        const res = await rawGet(t.app, path);
        expect(res.status).toBe(404);
        expect(res.body).not.toContain('"name": "inkstone"');
      },
    );
  });
});
