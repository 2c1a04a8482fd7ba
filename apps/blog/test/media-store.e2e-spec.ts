import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import request from 'supertest';

import { MediaService } from '@app/content';

import { FolderMediaStore } from '../src/media/folder-media-store.js';
import { GcsMediaStore } from '../src/media/gcs-media-store.js';
import { pullMedia } from '../src/media/pull-media.js';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { bytes, readToTheEnd } from './support/media-http.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { withLegacyMediaTable } from './support/legacy-media.js';
import { png } from './support/media-images.js';
import { noisePng } from './support/photos.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Real uploads through sharp, app restarts, the GCS client's retries: seconds on a loaded machine.
jest.setTimeout(90_000);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface UploadAnswer {
  id: number;
  url: string;
}

const upload = (agent: Agent, csrf: string, data: Buffer, filename: string) =>
  agent
    .post('/admin/media')
    .set('X-CSRF-Token', csrf)
    .set('Accept', 'application/json')
    .attach('file', data, { filename, contentType: 'image/png' });

const HOUR = 3600_000;

/**
 * Moves the app's clock past the sweep's interval (10 minutes) so that the next trigger sweeps; each
 * call 11 minutes further, never an hour past the real time (the grace that keeps young objects).
 */
function sweepDueOn(t: TestApp): () => void {
  let ahead = 0;
  return () => {
    ahead += 11 * 60_000;
    if (ahead >= HOUR - 5 * 60_000) throw new Error('the test moved the clock too far: young objects would look old');
    jest.spyOn(t.clock, 'now').mockImplementation(() => new Date(Date.now() + ahead));
  };
}

/** The media table as SQLite has it: proof of where the bytes are. */
function mediaRows(databasePath: string): { id: number; sha256: string; data: Buffer | null; size: number }[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db.prepare('select id, sha256, data, size from media order by id').all() as never;
  } finally {
    db.close();
  }
}

describe('image bytes outside the database', () => {
  describe('locally: a folder beside the database', () => {
    let t: TestApp;
    let agent: Agent;
    let csrf: string;
    beforeAll(async () => {
      t = await startTestApp();
      ({ agent, csrf } = await loggedInAgent(t));
    });
    afterAll(() => t.close());

    it('writes the original as <sha256>.png in ./media beside the file; the row keeps no bytes', async () => {
      const image = png(300, 200, 7);
      const { id, url } = (await upload(agent, csrf, image, 'Local.png').expect(201)).body as UploadAnswer;
      const object = join(t.dir, 'media', `${sha256(image)}.png`);
      expect(readFileSync(object).equals(image)).toBe(true);
      const row = mediaRows(t.databasePath).find((r) => r.id === id)!;
      expect(row).toEqual({ id, sha256: sha256(image), data: null, size: image.length });
      const served = await request(t.server).get(url).buffer(true).parse(bytes).expect(200);
      expect((served.body as Buffer).equals(image)).toBe(true);
      // No temporary file is left behind by the write-sync-rename.
      expect(readdirSync(join(t.dir, 'media')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    });

    it('never serves an object no row names, and sweeps it once it is old enough', async () => {
      const stray = join(t.dir, 'media', `${'a'.repeat(64)}.png`);
      const kept = readdirSync(join(t.dir, 'media'));
      writeFileSync(stray, png(2, 2, 99));
      const media = t.app.get(MediaService);
      // Young: an upload may still be writing it.
      expect(await t.run(() => media.sweepOrphans())).toEqual({ deleted: 0, cutShort: false });
      expect(existsSync(stray)).toBe(true);
      expect(await t.run(() => media.sweepOrphans(Date.now() + 2 * HOUR))).toEqual({ deleted: 1, cutShort: false });
      expect(existsSync(stray)).toBe(false);
      expect(readdirSync(join(t.dir, 'media')).sort()).toEqual(kept.sort());
    });

    describe("the sweep runs on the author's requests, without any upload", () => {
      const folder = () => join(t.dir, 'media');
      let sweepDue: () => void;
      beforeAll(() => (sweepDue = sweepDueOn(t)));
      afterEach(() => jest.restoreAllMocks());

      /** Writes a stray object, dated `ageMs` ago. */
      const stray = (key: string, ageMs: number) => {
        const path = join(folder(), key);
        writeFileSync(path, png(2, 2, 98));
        const when = new Date(Date.now() - ageMs);
        utimesSync(path, when, when);
        return key;
      };
      const ageObjectsOf = (hash: string) => {
        const when = new Date(Date.now() - 2 * HOUR);
        for (const key of readdirSync(folder()).filter((n) => n.startsWith(hash))) utimesSync(join(folder(), key), when, when);
      };

      it('on a dashboard visit: old strays go, an image a row names and a young stray stay; readers never sweep', async () => {
        const image = png(500, 300, 41);
        const { url } = (await upload(agent, csrf, image, 'named.png').expect(201)).body as UploadAnswer;
        const named = readdirSync(folder()).filter((n) => n.startsWith(sha256(image)));
        expect(named.length).toBeGreaterThan(1); // the original and its renditions
        ageObjectsOf(sha256(image));
        const old = [
          stray(`${'c'.repeat(64)}.png`, 2 * HOUR),
          stray(`${'c'.repeat(64)}-480w.webp`, 2 * HOUR),
          // A temporary file a crashed write left behind.
          stray(`${'d'.repeat(64)}.png.0a1b2c3d4e5f.tmp`, 2 * HOUR),
        ];
        const young = stray(`${'e'.repeat(64)}.png`, 5 * 60_000);

        sweepDue();
        await request(t.server).get('/').expect(200);
        await request(t.server).get(url).expect(200);
        for (const key of old) expect(existsSync(join(folder(), key))).toBe(true);

        await agent.get('/admin').expect(200);
        const left = readdirSync(folder());
        for (const key of old) expect(left).not.toContain(key);
        expect(left).toEqual(expect.arrayContaining([...named, young]));
      });

      it('after a delete in the library (the upload before it is not the trigger)', async () => {
        const image = png(40, 30, 42);
        const { id } = (await upload(agent, csrf, image, 'short-lived.png').expect(201)).body as UploadAnswer;
        const old = stray(`${'f'.repeat(64)}.png`, 2 * HOUR);
        sweepDue();
        await agent.post(`/admin/media/${id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
        expect(existsSync(join(folder(), old))).toBe(false);
        expect(readdirSync(folder())).toContain(`${'e'.repeat(64)}.png`);
      });

      it('at most once in ten minutes per instance', async () => {
        sweepDue();
        await agent.get('/admin/media').expect(200);
        const old = stray(`${'1'.repeat(64)}.png`, 2 * HOUR);
        await agent.get('/admin/media').expect(200);
        await agent.get('/admin').expect(200);
        expect(existsSync(join(folder(), old))).toBe(true);
        sweepDue();
        await agent.get('/admin/media').expect(200);
        expect(existsSync(join(folder(), old))).toBe(false);
      });
    });

    it('deletes the objects with the image', async () => {
      const image = png(30, 20, 8);
      const { id } = (await upload(agent, csrf, image, 'gone.png').expect(201)).body as UploadAnswer;
      expect(existsSync(join(t.dir, 'media', `${sha256(image)}.png`))).toBe(true);
      await agent.post(`/admin/media/${id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
      expect(readdirSync(join(t.dir, 'media')).filter((n) => n.startsWith(sha256(image)))).toEqual([]);
    });

    it('refuses an export before its first byte when an image has lost its bytes, naming the image', async () => {
      const image = png(40, 30, 9);
      const { id } = (await upload(agent, csrf, image, 'lost.png').expect(201)).body as UploadAnswer;
      const object = join(t.dir, 'media', `${sha256(image)}.png`);
      const kept = readFileSync(object);
      const { unlinkSync, writeFileSync } = await import('node:fs');
      unlinkSync(object);
      try {
        // Not a download cut short (or one that never ends): an answer the author can act on.
        const res = await agent.get('/admin/backup/export').expect(409);
        expect(res.headers['content-disposition']).toBeUndefined();
        expect(res.text).toContain(`${id} (lost.png)`);
        expect(res.text).toContain('The export was not started');
      } finally {
        writeFileSync(object, kept);
      }
      const whole = await agent.get('/admin/backup/export').buffer(true).parse(bytes).expect(200);
      expect((JSON.parse((whole.body as Buffer).toString()) as { media: { id: number }[] }).media.map((m) => m.id)).toContain(id);
      await agent.post(`/admin/media/${id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
    });
  });

  describe('in production: a prefix of the blog bucket (strict stand-in)', () => {
    let gcs: GcsStandIn;
    let t: TestApp;
    let agent: Agent;
    let csrf: string;
    const saved: Record<string, string | undefined> = {};
    const objects = () => [...gcs.objects('blog').keys()].filter((k) => k.startsWith('site/media/'));

    beforeAll(async () => {
      gcs = await startGcsStandIn({ buckets: ['blog'] });
      for (const [key, value] of Object.entries(gcs.env)) {
        saved[key] = process.env[key];
        process.env[key] = value;
      }
      t = await startTestApp({ MEDIA_STORE_URL: 'gcs://blog/site/media' });
      ({ agent, csrf } = await loggedInAgent(t));
    });
    afterAll(async () => {
      await t.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await gcs.stop();
    });
    afterEach(() => expect(gcs.unexpected()).toEqual([]));

    it('acknowledges an upload once the object is in the bucket, immutable, named by its hash', async () => {
      const image = png(200, 100, 11);
      const { url } = (await upload(agent, csrf, image, 'bucket.png').expect(201)).body as UploadAnswer;
      const stored = gcs.object('blog', `site/media/${sha256(image)}.png`);
      expect(stored?.data.equals(image)).toBe(true);
      expect(stored?.contentType).toBe('image/png');
      expect(stored?.fields.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(statSync(t.databasePath).size).toBeLessThan(1024 * 1024);

      const downloads = () => gcs.requests.filter((r) => r.method === 'GET' && r.path.includes('bucket')).length;
      const first = await request(t.server).get(url).buffer(true).parse(bytes).expect(200);
      expect((first.body as Buffer).equals(image)).toBe(true);
      const reads = gcs.requests.filter((r) => r.method === 'GET' && r.path.includes(sha256(image))).length;
      expect(reads).toBe(1);
      // Hot: the next readers are served from memory.
      for (let i = 0; i < 5; i++) await request(t.server).get(url).expect(200);
      expect(gcs.requests.filter((r) => r.method === 'GET' && r.path.includes(sha256(image))).length).toBe(reads);
      expect(downloads()).toBeGreaterThanOrEqual(0);
    });

    it('sweeps the bucket on a library visit and after a delete: old strays go, named and young objects stay', async () => {
      const sweepDue = sweepDueOn(t);
      const twoHoursAgo = new Date(Date.now() - 2 * HOUR).toISOString();
      const age = (name: string) => (gcs.object('blog', name)!.updated = twoHoursAgo);
      const image = png(500, 300, 43);
      await upload(agent, csrf, image, 'bucket-named.png').expect(201);
      const named = objects().filter((k) => k.includes(sha256(image)));
      expect(named.length).toBeGreaterThan(1);
      named.forEach(age);
      const old = [`site/media/${'c'.repeat(64)}.png`, `site/media/${'c'.repeat(64)}-720w.avif`];
      for (const name of old) gcs.putObject('blog', name, png(2, 2, 44), 'image/png');
      old.forEach(age);
      const young = `site/media/${'e'.repeat(64)}.png`;
      gcs.putObject('blog', young, png(2, 2, 45), 'image/png');
      // Outside the media prefix: never the sweep's business, however old.
      gcs.putObject('blog', `site/other/${'c'.repeat(64)}.png`, png(2, 2, 46), 'image/png');
      age(`site/other/${'c'.repeat(64)}.png`);

      try {
        sweepDue();
        await agent.get('/admin/media').expect(200);
        expect(objects()).toEqual(expect.arrayContaining([...named, young]));
        for (const name of old) expect(objects()).not.toContain(name);
        expect(gcs.object('blog', `site/other/${'c'.repeat(64)}.png`)).toBeDefined();

        const later = `site/media/${'f'.repeat(64)}.webp`;
        const { id } = (await upload(agent, csrf, png(30, 30, 47), 'deleted.png').expect(201)).body as UploadAnswer;
        gcs.putObject('blog', later, png(2, 2, 48), 'image/webp');
        age(later);
        sweepDue();
        await agent.post(`/admin/media/${id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
        expect(objects()).not.toContain(later);
        expect(objects()).toEqual(expect.arrayContaining([...named, young]));
      } finally {
        jest.restoreAllMocks();
      }
    });

    it('streams an original over 2 MB from the bucket, and cuts the reader off when the bucket does half-way', async () => {
      const image = await noisePng(1000, 800, 51);
      expect(image.length).toBeGreaterThan(2 * 1024 * 1024);
      const up = await upload(agent, csrf, image, 'large.png');
      // The answer and the bucket's failed requests, should it not be 201 (seen once under load).
      expect({ status: up.status, text: up.text, failed: gcs.unexpected() }).toMatchObject({ status: 201 });
      const { url } = up.body as UploadAnswer;
      const whole = await readToTheEnd(t.app, url);
      expect(whole).toMatchObject({ status: 200, complete: true });
      expect(whole.body.equals(image)).toBe(true);
      expect(whole.headers['content-length']).toBe(String(image.length));
      expect(whole.headers['cache-control']).toBe('public, max-age=31536000, immutable');

      const reads = (r: { method: string; path: string }) => r.method === 'GET' && r.path.includes(sha256(image));
      gcs.failNext(1, { cutBodyAfter: 512 * 1024, match: reads });
      try {
        // The store's stall bound (10 s) ends it; the bucket client alone would wait forever.
        const cut = await readToTheEnd(t.app, url, 30_000);
        expect(cut.status).toBe(200);
        expect(cut.complete).toBe(false);
        expect(cut.ms).toBeLessThan(25_000);
        expect(cut.body.length).toBeLessThan(image.length);
        expect(cut.body.equals(image.subarray(0, cut.body.length))).toBe(true);
      } finally {
        gcs.clearFaults();
      }
      // Not cached (too large), read again whole.
      const after = await readToTheEnd(t.app, url);
      expect(after.complete && after.body.equals(image)).toBe(true);
    });

    it('stores nothing when the bucket refuses the write: no row, no object, a 5xx with a message', async () => {
      const image = png(64, 64, 12);
      const before = objects();
      gcs.failNext(Infinity, { status: 503, match: (r) => r.method === 'POST' && r.path.startsWith('/upload/') });
      try {
        const res = await upload(agent, csrf, image, 'refused.png');
        expect(res.status).toBeGreaterThanOrEqual(500);
        expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js/);
      } finally {
        gcs.clearFaults();
      }
      expect(mediaRows(t.databasePath).map((r) => r.sha256)).not.toContain(sha256(image));
      expect(objects()).toEqual(before);
    });
  });

  describe('db:pull brings the images a pulled database names', () => {
    it('copies them from the bucket into the folder beside the file, once, and leaves strays behind', async () => {
      const gcs = await startGcsStandIn({ buckets: ['blog'] });
      const saved = Object.fromEntries(Object.keys(gcs.env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, gcs.env);
      const t = await startTestApp({ MEDIA_STORE_URL: 'gcs://blog/site/media' });
      try {
        const { agent, csrf } = await loggedInAgent(t);
        const images = [png(20, 10, 31), png(30, 10, 32)];
        for (const [i, img] of images.entries()) await upload(agent, csrf, img, `pulled-${i}.png`).expect(201);
        gcs.putObject('blog', `site/media/${'b'.repeat(64)}.png`, png(2, 2, 33));
        const inBucket = [...gcs.objects('blog').keys()].filter(
          (k) => k.startsWith('site/media/') && !k.includes('b'.repeat(64)),
        );
        const folder = join(t.dir, 'pulled-media');
        const from = new GcsMediaStore('blog', 'site/media');
        const to = new FolderMediaStore(folder);
        expect(await pullMedia(t.databasePath, from, to)).toEqual({ copied: inBucket.length, present: 0 });
        expect(readdirSync(folder).sort()).toEqual(inBucket.map((k) => k.slice('site/media/'.length)).sort());
        for (const img of images) expect(readFileSync(join(folder, `${sha256(img)}.png`)).equals(img)).toBe(true);
        expect(await pullMedia(t.databasePath, from, to)).toEqual({ copied: 0, present: inBucket.length });
        expect(gcs.unexpected()).toEqual([]);
      } finally {
        await t.close();
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
        await gcs.stop();
      }
    });
  });

  describe('the move of existing BLOBs out of the database', () => {
    it('moves every image at boot, keeps ids, URLs and bytes, and resumes after an interrupted start', async () => {
      const gcs = await startGcsStandIn({ buckets: ['blog'] });
      const saved = Object.fromEntries(Object.keys(gcs.env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, gcs.env);
      let first: TestApp | null = null;
      try {
        first = await startTestApp();
        const databasePath = first.databasePath;
        await first.app.close();
        // The database as a blog before this change had it: the old table, bytes inside.
        const images = [png(40, 30, 21), png(50, 30, 22), png(60, 30, 23)];
        const db = withLegacyMediaTable(
          databasePath,
          images.map((data, i) => ({
            id: i + 1,
            filename: `old-${i}.png`,
            contentType: 'image/png',
            data,
            width: 40,
            height: 30,
          })),
        );
        // Id 4 existed once and was deleted: it must never be given again.
        db.prepare(
          'insert into media (id, filename, content_type, size, sha256, width, height, data, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(4, 'deleted.png', 'image/png', 1, 'f'.repeat(64), 1, 1, Buffer.from('x'), Date.now());
        db.prepare('delete from media where id = 4').run();
        db.close();

        const env = { DATABASE_PATH: databasePath, MEDIA_STORE_URL: 'gcs://blog/media' };
        // From the second object write on, the bucket refuses: the blog still starts, having moved
        // one image, and serves the others from the database.
        let writes = 0;
        gcs.failNext(Infinity, {
          status: 403,
          match: (r) => r.method === 'POST' && r.path.startsWith('/upload/') && ++writes >= 2,
        });
        const interrupted = await startTestApp(env);
        try {
          const afterFailure = mediaRows(databasePath);
          expect(afterFailure.filter((r) => r.data === null).map((r) => r.id)).toEqual([1]);
          expect(afterFailure.filter((r) => r.data !== null).map((r) => r.id)).toEqual([2, 3]);
          for (const [i, img] of images.entries()) {
            const res = await request(interrupted.server)
              .get(`/media/${i + 1}/old-${i}.png`)
              .buffer(true)
              .parse(bytes)
              .expect(200);
            expect((res.body as Buffer).equals(img)).toBe(true);
          }
        } finally {
          gcs.clearFaults();
          await interrupted.app.close();
        }

        const t = await startTestApp(env);
        try {
          expect(mediaRows(databasePath).map((r) => ({ id: r.id, moved: r.data === null }))).toEqual([
            { id: 1, moved: true },
            { id: 2, moved: true },
            { id: 3, moved: true },
          ]);
          for (const [i, img] of images.entries()) {
            expect(gcs.object('blog', `media/${sha256(img)}.png`)?.data.equals(img)).toBe(true);
            const res = await request(t.server)
              .get(`/media/${i + 1}/old-${i}.png`)
              .buffer(true)
              .parse(bytes)
              .expect(200);
            expect((res.body as Buffer).equals(img)).toBe(true);
          }
          const { agent, csrf } = await loggedInAgent(t);
          const next = (await upload(agent, csrf, png(9, 9, 24), 'new.png').expect(201)).body as UploadAnswer;
          expect(next.id).toBe(5);
        } finally {
          await t.close();
        }
        const injected = (r: { injected?: boolean; status: number }) => r.status === 403;
        expect(gcs.unexpected(injected)).toEqual([]);
      } finally {
        await first?.close().catch(() => undefined);
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
        await gcs.stop();
      }
    });
  });
});
