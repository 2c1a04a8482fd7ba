import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import sharp from 'sharp';

import { RENDITION_WIDTHS } from '@app/content';

import { HttpAdmin } from '../support/http-admin.js';
import { exifHasGps, photo } from '../support/photos.js';
import { runCli } from '../support/portability.js';
import { freePort, startMain, waitForHttp } from '../support/process.js';
import { restoreInto } from '../support/rollout.js';
import { LITESTREAM_BIN } from '../support/container.js';
import { mediaPrefixOf } from './seed-bucket.js';
import { outcomeOf, type Scenario, startScenario } from './scenario.js';

/**
 * Scenario 8: an author's photo on the local Cloud Run, the way a browser sends it, and the ways
 * out of the blog with it: the upload through the front proxy (login with the mounted admin secret,
 * CSRF, multipart as the editor's paste sends it), answered only once its objects are in the bucket;
 * the post served with <picture>/srcset, again after scale-to-zero and a cold start; the backup
 * download (what it holds for images, and README's way to run it with them); the export with the
 * image, imported into a fresh service with its own empty bucket, which serves it.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';
// Small enough to keep CI's scenario run short, large enough for renditions below its own width.
const [WIDTH, HEIGHT] = [900, 600];
const WIDTHS = [...RENDITION_WIDTHS.filter((w) => w < WIDTH), WIDTH];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The media prefix's objects, by name within the prefix. */
function mediaObjects(s: Scenario): Map<string, Buffer> {
  const { prefix } = mediaPrefixOf(s.replicaUrl);
  return new Map(
    [...s.gcs.objects(s.bucket)].filter(([k]) => k.startsWith(`${prefix}/`)).map(([k, v]) => [k.slice(prefix.length + 1), v]),
  );
}

async function get(
  base: string,
  path: string,
): Promise<{ status: number; type: string | null; cache: string | null; body: Buffer }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(120_000) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body };
}

/** The one <picture> of a page: its <img> and every srcset candidate (url, width, type). */
function pictureOf(html: string) {
  const pictures = [...html.matchAll(/<picture>(.*?)<\/picture>/gs)].map((m) => m[1]);
  expect(pictures).toHaveLength(1);
  const [picture] = pictures;
  const img = /<img ([^>]*)>/.exec(picture)![1];
  const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(img)?.[1];
  const sources = [...picture.matchAll(/<source type="(image\/[a-z]+)" srcset="([^"]+)"/g)].flatMap(([, type, srcset]) =>
    srcset.split(', ').map((c) => {
      const [url, w] = c.split(' ');
      return { type, url, width: parseInt(w, 10) };
    }),
  );
  return { src: attr('src')!, width: attr('width'), height: attr('height'), sources };
}

/** Every URL of the page's picture answers 200, immutable, with the bucket's bytes for its object. */
async function expectServedFromBucket(s: Scenario, html: string, sha: string): Promise<void> {
  const { src, width, height, sources } = pictureOf(html);
  expect([width, height]).toEqual([String(WIDTH), String(HEIGHT)]);
  expect(sources.map((c) => `${c.type} ${c.width}`).sort()).toEqual(
    WIDTHS.flatMap((w) => [`image/avif ${w}`, `image/webp ${w}`]).sort(),
  );
  const objects = mediaObjects(s);
  for (const { url, object, type } of [
    { url: src, object: `${sha}.jpg`, type: 'image/jpeg' },
    ...sources.map((c) => ({ url: c.url, object: `${sha}-${c.width}w.${c.type.slice(6)}`, type: c.type })),
  ]) {
    const res = await get(s.cloudRun.url, url);
    expect([url, res.status, res.type, res.cache]).toEqual([url, 200, type, IMMUTABLE]);
    expect(res.body.equals(objects.get(object)!)).toBe(true);
  }
}

describe('an author’s photo on the local Cloud Run: upload, serving, backup, export and import', () => {
  let s: Scenario | undefined;
  let fresh: Scenario | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-author-photo-'));
  let admin: HttpAdmin;
  let upload: { id: number; url: string; markdown: string };
  let sha = '';
  let postHtml = '';

  beforeAll(async () => {
    s = await startScenario();
    admin = await s.admin(); // the admin secret the platform mounts (Secret Manager stand-in)
  }, 240_000);
  afterAll(async () => {
    try {
      await fresh?.close();
    } finally {
      await s?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the upload is answered once its objects are in the bucket; the post serves <picture>, also after scale-to-zero', async () => {
    const original = await photo(WIDTH, HEIGHT, 23, { gps: true });
    const before = mediaObjects(s!).size;
    const answer = await admin.uploadImage(original, 'Harbour at dusk.jpg', 'image/jpeg');
    // Right at the answer, nothing else in between: the original and every rendition are stored.
    const objects = [...mediaObjects(s!).keys()];
    expect(answer.status).toBe(201);
    upload = answer.body as typeof upload;
    expect(upload.url).toBe(`/media/${upload.id}/harbour-at-dusk.jpg`);
    expect(objects).toHaveLength(before + 1 + WIDTHS.length * 2);
    sha = objects.find((k) => /^[0-9a-f]{64}\.jpg$/.test(k))!.slice(0, 64);
    expect(objects.filter((k) => k.startsWith(sha)).sort()).toEqual(
      [`${sha}.jpg`, ...WIDTHS.flatMap((w) => [`${sha}-${w}w.avif`, `${sha}-${w}w.webp`])].sort(),
    );
    // Readers get the clean original (the GPS position dropped), named by its own hash.
    const served = await get(s!.cloudRun.url, upload.url);
    expect(sha256(served.body)).toBe(sha);
    expect(exifHasGps((await sharp(served.body).metadata()).exif)).toBe(false);

    const saved = await admin.createPost('Harbour photo', `Evening at the harbour.\n\n${upload.markdown}\n`);
    expect(outcomeOf(saved.status, saved.location)).toBe('replicated');
    const page = await get(s!.cloudRun.url, '/posts/harbour-photo');
    expect(page.status).toBe(200);
    postHtml = page.body.toString();
    await expectServedFromBucket(s!, postHtml, sha);

    // Scale to zero, then a reader: the new instance restored the database and reads the bucket.
    await s!.cloudRun.scaleToZero();
    const mediaReads = () => s!.gcs.requests.filter((r) => r.method === 'GET' && r.path.includes(sha)).length;
    const readsBefore = mediaReads();
    const cold = await get(s!.cloudRun.url, '/posts/harbour-photo');
    expect(cold.status).toBe(200);
    expect(pictureOf(cold.body.toString())).toEqual(pictureOf(postHtml));
    await expectServedFromBucket(s!, cold.body.toString(), sha);
    expect(mediaReads()).toBeGreaterThan(readsBefore);
    expect(s!.cloudRun.instances).toHaveLength(2);

    // What the bucket's replica holds: the image's facts, not its bytes.
    const restored = join(dir, 'restored.db');
    await restoreInto(s!.gcs, s!.replicaUrl, restored, 'live');
    const db = new Database(restored, { readonly: true });
    try {
      const row = db.prepare('select sha256, data, renditions from media where id = ?').get(upload.id) as {
        sha256: string;
        data: Buffer | null;
        renditions: string;
      };
      expect([row.sha256, row.data, (JSON.parse(row.renditions) as unknown[]).length]).toEqual([sha, null, WIDTHS.length * 2]);
    } finally {
      db.close();
    }
  }, 240_000);

  it('the backup download holds the image’s facts, not its bytes; db:pull --images-for brings them, and it runs as README says', async () => {
    const res = await admin.request('GET', '/admin/backup/database');
    expect(res.status).toBe(200);
    const downloaded = join(dir, 'download', 'inkstone-backup.db');
    mkdirSync(join(dir, 'download'));
    writeFileSync(downloaded, Buffer.from(await res.arrayBuffer()));
    const db = new Database(downloaded, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('select sha256, data is null as out from media where id = ?').get(upload.id)).toEqual({
        sha256: sha,
        out: 1,
      });
    } finally {
      db.close();
    }

    // README ("Backups"): copy the images it names from the bucket beside it, then run it locally.
    const pulled = await runCli('db-pull', ['--images-for', downloaded], {
      ...s!.gcs.env,
      LITESTREAM_REPLICA_URL: s!.replicaUrl,
      LITESTREAM_BIN,
    });
    // Every image it names (the post's photo and renditions, its social card, the demo posts' images).
    expect([pulled.code, pulled.output]).toEqual([
      0,
      expect.stringMatching(/^Images: \d+ copied from gs:\/\/inkstone-cloud-run\/media\//),
    ]);
    const port = await freePort();
    const local = startMain({
      DATABASE_PATH: downloaded,
      PORT: String(port),
      HOST: '127.0.0.1',
      SITE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
      DEMO_CONTENT: 'false',
      SESSION_SECRET: 'a local session secret long enough for the checks',
      ADMIN_PASSWORD: 'a local admin password',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/healthz`);
      const page = await get(base, '/posts/harbour-photo');
      expect(page.status).toBe(200);
      const { src, sources } = pictureOf(page.body.toString());
      for (const [url, object] of [
        [src, `${sha}.jpg`],
        [sources[0].url, `${sha}-${sources[0].width}w.${sources[0].type.slice(6)}`],
      ]) {
        const image = await get(base, url);
        expect([url, image.status]).toEqual([url, 200]);
        expect(image.body.equals(readFileSync(join(dir, 'download', 'media', object)))).toBe(true);
      }
    } finally {
      local.child.kill('SIGTERM');
      await local.exited;
    }
  }, 120_000);

  it('the export carries the image; imported into a fresh service with its own empty bucket, it is served', async () => {
    const exported = await admin.request('GET', '/admin/backup/export');
    expect(exported.status).toBe(200);
    const file = Buffer.from(await exported.arrayBuffer());
    const doc = JSON.parse(file.toString()) as { media: { id: number; sha256: string; data: string }[] };
    const [image] = doc.media.filter((m) => m.id === upload.id);
    expect(sha256(Buffer.from(image.data, 'base64'))).toBe(sha);

    fresh = await startScenario({ bucket: 'inkstone-fresh' });
    expect(mediaObjects(fresh).size).toBe(0);
    const newcomer = await fresh.admin();
    const imported = await newcomer.importFiles([{ name: 'export.json', data: file, type: 'application/json' }]);
    const report = await imported.text();
    expect([imported.status, report]).toEqual([200, expect.stringContaining('Imported export.json (an Inkstone export)')]);
    expect(mediaObjects(fresh).has(`${sha}.jpg`)).toBe(true);

    const page = await get(fresh.cloudRun.url, '/posts/harbour-photo');
    expect(page.status).toBe(200);
    // Same id (free here), same addresses: the imported post's HTML names the same picture.
    expect(pictureOf(page.body.toString())).toEqual(pictureOf(postHtml));
    await expectServedFromBucket(fresh, page.body.toString(), sha);
  }, 240_000);
});
