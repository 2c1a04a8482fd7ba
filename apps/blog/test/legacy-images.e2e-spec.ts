import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import request from 'supertest';

import { loggedInAgent } from './support/admin-agent.js';
import { withLegacyMediaTable } from './support/legacy-media.js';
import { bytes } from './support/media-http.js';
import { png, pngOfSize } from './support/media-images.js';
import { metadataOf, photo } from './support/photos.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Real renditions through sharp and two app starts on a loaded 2-core machine.
jest.setTimeout(120_000);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Row {
  id: number;
  sha256: string;
  data: Buffer | null;
  size: number;
  width: number;
  height: number;
  renditions: string;
  refused: string | null;
}

function mediaRows(databasePath: string): Row[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db.prepare('select id, sha256, data, size, width, height, renditions, refused from media order by id').all() as Row[];
  } finally {
    db.close();
  }
}

/**
 * A blog from before the media store, as it was: images as BLOBs in the old table, and posts
 * rendered when images had no renditions. One start later it must be what a blog made today is.
 */
describe('images of a blog from before the media store, after one start', () => {
  let t: TestApp;
  let databasePath: string;
  let sizeBefore: number;
  const photoBytes = photo(900, 600, 5, { gps: true });
  const big = [pngOfSize(1_500_000, 1), pngOfSize(1_500_000, 2)];
  /** Cut short in its pixel data: the pipeline refuses it. */
  const broken = png(40, 40, 7).subarray(0, 80);
  const legacy = async () => [await photoBytes, ...big, broken];

  beforeAll(async () => {
    const old = await startTestApp();
    databasePath = old.databasePath;
    await old.createPost({ title: 'Old photos', markdown: '![Harbour](/media/1/harbour.jpg)\n\n![Filler](/media/2/filler.png)' });
    await old.createPage({ title: 'Gallery', markdown: '![Harbour](/media/1/harbour.jpg)' });
    await old.app.close();
    const images = await legacy();
    const db = withLegacyMediaTable(databasePath, [
      { id: 1, filename: 'harbour.jpg', contentType: 'image/jpeg', data: images[0], width: null, height: null },
      { id: 2, filename: 'filler.png', contentType: 'image/png', data: images[1], width: 1, height: 1 },
      { id: 3, filename: 'filler-2.png', contentType: 'image/png', data: images[2], width: 1, height: 1 },
      { id: 4, filename: 'broken.png', contentType: 'image/png', data: broken, width: 40, height: 40 },
    ]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    sizeBefore = statSync(databasePath).size;
    expect(sizeBefore).toBeGreaterThan(3_000_000);
    t = await startTestApp({ DATABASE_PATH: databasePath });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(join(databasePath, '..'), { recursive: true, force: true });
  });

  const get = (url: string) => request(t.server).get(url).buffer(true).parse(bytes);
  const media = () => join(databasePath, '..', 'media');

  it('moves the originals to the store and gives every image renditions and its true size', async () => {
    const rows = mediaRows(databasePath);
    expect(rows.map((r) => r.data)).toEqual([null, null, null, null]);
    const renditions = rows.map((r) =>
      (JSON.parse(r.renditions) as { width: number; format: string }[]).map((x) => `${x.width}${x.format}`),
    );
    expect(renditions[0].sort()).toEqual(['480avif', '480webp', '720avif', '720webp', '900avif', '900webp']);
    expect(renditions[1].sort()).toEqual(['1avif', '1webp']);
    expect(rows[0]).toMatchObject({ width: 900, height: 600, refused: null });
    // Refused by the pipeline: kept and served as it was, marked so that no start tries it again.
    expect(rows[3]).toMatchObject({
      sha256: sha256(broken),
      renditions: '[]',
      refused: expect.stringMatching(/damaged or cut short/),
    });
    expect(((await get('/media/4/broken.png').expect(200)).body as Buffer).equals(broken)).toBe(true);
    for (const row of rows.slice(0, 3)) {
      expect(existsSync(join(media(), `${row.sha256}.${row.id === 1 ? 'jpg' : 'png'}`))).toBe(true);
      for (const r of JSON.parse(row.renditions) as { width: number; format: string }[])
        expect(existsSync(join(media(), `${row.sha256}-${r.width}w.${r.format}`))).toBe(true);
    }
  });

  it('serves the original as uploads are served today: location and other metadata dropped', async () => {
    const [original] = await legacy();
    expect((await metadataOf(original)).exif?.length).toBeGreaterThan(100);
    const served = (await get('/media/1/harbour.jpg').expect(200)).body as Buffer;
    expect((await metadataOf(served)).exif).toBeUndefined();
    const [row] = mediaRows(databasePath);
    expect(row.sha256).toBe(sha256(served));
    expect(row.size).toBe(served.length);
    expect(readFileSync(join(media(), `${row.sha256}.jpg`)).equals(served)).toBe(true);
    await get('/media/1/harbour-720w.avif').expect(200).expect('Content-Type', 'image/avif');
  });

  it('renders the posts and pages that show them again, with srcset, sizes and dimensions', async () => {
    for (const path of ['/posts/old-photos', '/gallery']) {
      const html = (await request(t.server).get(path).expect(200)).text;
      expect(html).toContain(
        '<picture><source type="image/avif" srcset="/media/1/harbour-480w.avif 480w, /media/1/harbour-720w.avif 720w, /media/1/harbour-900w.avif 900w"',
      );
      expect(html).toMatch(/<img src="\/media\/1\/harbour\.jpg" alt="Harbour" width="900" height="600"/);
    }
  });

  it('an export carries no renditions (none ever did): an import makes them, and its posts emit srcset', async () => {
    const { agent } = await loggedInAgent(t);
    const file = (await agent.get('/admin/backup/export').expect(200)).text;
    expect(file).not.toContain('renditions');
    // Without the image the pipeline refused: an import refuses such an image, and with it the
    // whole file (open: a blog's own export holding an old damaged image cannot be imported).
    const doc = JSON.parse(file) as { media: { id: number }[] };
    const exported = JSON.stringify({ ...doc, media: doc.media.filter((m) => m.id !== 4) });
    const fresh = await startTestApp();
    try {
      const admin = await loggedInAgent(fresh);
      await admin.agent
        .post(`/admin/backup/import?_csrf=${encodeURIComponent(admin.csrf)}`)
        .attach('files', Buffer.from(exported), { filename: 'export.json', contentType: 'application/json' })
        .expect(200);
      const [harbour] = mediaRows(fresh.databasePath);
      expect((JSON.parse(harbour.renditions) as unknown[]).length).toBe(6);
      const html = (await request(fresh.server).get('/posts/old-photos').expect(200)).text;
      expect(html).toContain('srcset="/media/1/harbour-480w.avif 480w, /media/1/harbour-720w.avif 720w');
    } finally {
      await fresh.close();
    }
  });

  it('leaves a smaller database file: the BLOBs’ pages are given back (VACUUM)', async () => {
    await t.app.close();
    // The app alone checkpoints, and closing the last connection checkpoints the whole WAL.
    const after = statSync(databasePath).size;
    expect(existsSync(`${databasePath}-wal`) ? statSync(`${databasePath}-wal`).size : 0).toBe(0);
    expect(after).toBeLessThan(sizeBefore / 4);
    t = await startTestApp({ DATABASE_PATH: databasePath });
    await get('/media/2/filler.png').expect(200);
  });
});
