import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import Database from 'better-sqlite3';
import sharp from 'sharp';

import { RENDITION_FORMATS, RENDITION_WIDTHS } from '@app/content';

import { photo } from '../support/photos.js';
import { ROOT } from '../support/process.js';
import { restoreInto } from '../support/rollout.js';
import { mediaPrefixOf, replicateFileIntoBucket, seedDatabaseFile } from './seed-bucket.js';
import { mib, report, type Scenario, startScenario } from './scenario.js';

/**
 * Scenario 7: a photo blog on the local Cloud Run. The same 500-post blog three times: without
 * photos; with CLOUD_RUN_MEDIA_IMAGES photos (~400 KB originals, their renditions) in the bucket's
 * media prefix, as a blog has them now; and with the same photos as BLOBs in the database, as a blog
 * had them before (its starts move them out, compact the file and make renditions, each start bounded).
 * Figures: cold start to the first 200, peak instance memory, bucket bytes after
 * CLOUD_RUN_MEDIA_COLD_STARTS cold starts, and a post with 5 photos through the front proxy: 200,
 * immutable caching, renditions, and the bytes a phone downloads against the originals.
 * 30 photos and 2 cold starts by default (CI); 300 and 15 by hand for BENCHMARKS.md.
 * By hand, CLOUD_RUN_MEDIA_UNTIL_DONE carries the blog from before on until every photo has its
 * renditions, and reports what it took: `starts` by cold starts alone (the boot's 10 s a start),
 * `author` by cold starts until the BLOBs are out, then the library's "Make renditions now".
 */
const IMAGES = Number(process.env.CLOUD_RUN_MEDIA_IMAGES ?? 30);
const COLD_STARTS = Number(process.env.CLOUD_RUN_MEDIA_COLD_STARTS ?? 2);
const UNTIL_DONE = process.env.CLOUD_RUN_MEDIA_UNTIL_DONE;
if (UNTIL_DONE !== undefined && UNTIL_DONE !== 'starts' && UNTIL_DONE !== 'author')
  throw new Error(`CLOUD_RUN_MEDIA_UNTIL_DONE is "${UNTIL_DONE}": say starts or author`);
const POSTS = 500;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A 375 CSS px phone at 2×: the browser takes the smallest rendition at least 750 px wide. */
const PHONE_PIXELS = 750;

interface PhotoSet {
  base: Buffer;
  width: number;
  height: number;
  renditions: { width: number; height: number; format: 'avif' | 'webp'; data: Buffer }[];
}

/** One photo and its renditions, encoded as the app's pipeline does (widths and formats from it). */
async function photoSet(): Promise<PhotoSet> {
  const [width, height] = [1600, 1067];
  const base = await photo(width, height, 11, { quality: 80 });
  const renditions: PhotoSet['renditions'] = [];
  for (const target of RENDITION_WIDTHS.filter((w) => w < width)) {
    for (const format of RENDITION_FORMATS) {
      const pipeline = sharp(base).resize({ width: target });
      const out = await (format === 'avif' ? pipeline.avif({ quality: 50, effort: 1 }) : pipeline.webp({ quality: 75 })).toBuffer(
        {
          resolveWithObject: true,
        },
      );
      renditions.push({ width: out.info.width, height: out.info.height, format, data: out.data });
    }
  }
  return { base, width, height, renditions };
}

/** The photo made distinct for image `i` (a JPEG comment after SOI): its own hash, its own objects. */
function variant(base: Buffer, i: number): Buffer {
  const text = Buffer.from(`inkstone scenario photo ${i}`);
  const marker = Buffer.from([0xff, 0xfe, 0, 0]);
  marker.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([base.subarray(0, 2), marker, text, base.subarray(2)]);
}

type Photos = 'none' | 'store' | 'blobs';

interface Seeded {
  databaseBytes: number;
  originalBytes: number;
  /** Object names of the photos' originals as they were seeded (blobs: where the move puts them). */
  originals: string[];
}

/**
 * The bench's 500-post blog, plus `IMAGES` photos (in the store, or as BLOBs) and a post showing
 * five of them, rendered by the app's renderer (with the photos' facts when they are in the store;
 * as the old app rendered them otherwise), replicated into the bucket as it is, with its media folder.
 */
async function seedBlog(s: Scenario, photos: Photos, set: PhotoSet, base: string): Promise<Seeded> {
  const file = join(s.dir, 'seed.db');
  // The same seeded blog each time (seeded once: the bench's seeder boots the app).
  cpSync(base, file);
  cpSync(join(base, '..', 'media'), join(s.dir, 'media'), { recursive: true });
  const seeded: Seeded = { databaseBytes: 0, originalBytes: 0, originals: [] };
  if (photos !== 'none') {
    const folder = join(s.dir, 'media');
    mkdirSync(folder, { recursive: true });
    const renditions = set.renditions.map(({ width, height, format, data }) => ({ width, height, format, size: data.length }));
    const db = new Database(file);
    const insert = db.prepare(
      `insert into media (filename, content_type, size, sha256, width, height, animated, renditions, data, created_at)
       values (?, 'image/jpeg', ?, ?, ?, ?, 0, ?, ?, ?)`,
    );
    const ids: number[] = [];
    db.transaction(() => {
      for (let i = 0; i < IMAGES; i++) {
        const bytes = variant(set.base, i);
        const sha = createHash('sha256').update(bytes).digest('hex');
        seeded.originalBytes += bytes.length;
        seeded.originals.push(`${sha}.jpg`);
        const inStore = photos === 'store';
        if (inStore) {
          writeFileSync(join(folder, `${sha}.jpg`), bytes);
          for (const r of set.renditions) writeFileSync(join(folder, `${sha}-${r.width}w.${r.format}`), r.data);
        }
        const row = insert.run(
          `photo-${i + 1}.jpg`,
          bytes.length,
          sha,
          inStore ? set.width : null,
          inStore ? set.height : null,
          inStore ? JSON.stringify(renditions) : '[]',
          inStore ? null : bytes,
          Date.now(),
        );
        ids.push(Number(row.lastInsertRowid));
      }
    })();
    const five = ids
      .slice(0, 5)
      .map((id, k) => ({ id, filename: `photo-${k + 1}.jpg`, width: set.width, height: set.height, renditions }));
    const markdown = five.map((f, k) => `![Photo ${k + 1}](/media/${f.id}/${f.filename})`).join('\n\n');
    const renderer = (await import(pathToFileURL(join(ROOT, 'dist/libs/content/src/markdown/markdown.renderer.js')).href)) as {
      renderMarkdown(md: string, images?: ReadonlyMap<number, unknown>): { html: string };
    };
    const { html } = renderer.renderMarkdown(markdown, photos === 'store' ? new Map(five.map((f) => [f.id, f])) : undefined);
    const now = Date.now();
    db.prepare(
      `insert into post (slug, title, markdown, html, excerpt, word_count, reading_minutes, status, published_at, created_at, updated_at)
       values ('five-photos', 'Five photos', ?, ?, '', 5, 1, 'published', ?, ?, ?)`,
    ).run(markdown, html, now - 1000, now - 1000, now - 1000);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  seeded.databaseBytes = statSync(file).size;
  // Litestream alone: the app's boot work on this file (the BLOBs' move, renditions) belongs to the
  // first cold start measured below, not to the seeding.
  await replicateFileIntoBucket(s.gcs, s.replicaUrl, file);
  return seeded;
}

interface ColdStarts {
  firstOkMs: number[];
  probeReadyMs: number[];
  peakMemoryBytes: number;
  peakTmpfsBytes: number;
}

/** `count` times: a request to the service scaled to zero, timed to its 200; then idle to zero again. */
async function coldStarts(s: Scenario, count: number, afterEach?: (start: number) => Promise<void>): Promise<ColdStarts> {
  const out: ColdStarts = { firstOkMs: [], probeReadyMs: [], peakMemoryBytes: 0, peakTmpfsBytes: 0 };
  for (let start = 1; start <= count; start++) {
    const started = Date.now();
    const res = await fetch(`${s.cloudRun.url}/`, { signal: AbortSignal.timeout(240_000) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    out.firstOkMs.push(Date.now() - started);
    const tmpfs = s.cloudRun.current!.memoryBreakdown()?.tmpfs ?? {};
    out.peakTmpfsBytes = Math.max(
      out.peakTmpfsBytes,
      Object.values(tmpfs).reduce((a, b) => a + b, 0),
    );
    const stopped = await s.cloudRun.scaleToZero();
    out.probeReadyMs.push(stopped!.startMs ?? NaN);
    out.peakMemoryBytes = Math.max(out.peakMemoryBytes, stopped!.peakMemoryBytes);
    await afterEach?.(start);
  }
  return out;
}

/** The bucket's bytes: the replica (snapshots, WAL, lease) and the media prefix. */
function bucketBytes(s: Scenario): { replica: number; media: number; mediaObjects: number } {
  const { prefix } = mediaPrefixOf(s.replicaUrl);
  const out = { replica: 0, media: 0, mediaObjects: 0 };
  for (const [name, data] of s.gcs.objects(s.bucket)) {
    if (name.startsWith(`${prefix}/`)) {
      out.media += data.length;
      out.mediaObjects++;
    } else out.replica += data.length;
  }
  return out;
}

interface Restored {
  bytes: number;
  integrity: string;
  inDatabase: number;
  withRenditions: number;
  refused: number;
  /** The author's images still without renditions (BLOBs included), as the app counts them. */
  missing: number;
  /** Bytes of the media rows and their index entries (dbstat's payload): what images cost the database. */
  imageRowBytes: number;
}

/** What a restore of the bucket holds now (the generation the writer lease names). */
async function restored(s: Scenario, name: string): Promise<Restored> {
  const target = join(s.dir, `${name}.db`);
  await restoreInto(s.gcs, s.replicaUrl, target, 'live');
  const db = new Database(target, { readonly: true });
  try {
    const one = (sql: string) => Object.values(db.prepare(sql).get() as Record<string, number | string>)[0];
    return {
      bytes: statSync(target).size,
      integrity: String(one('pragma integrity_check')),
      inDatabase: Number(one('select count(*) from media where data is not null')),
      withRenditions: Number(one("select count(*) from media where renditions != '[]'")),
      // (An image from before this column has none: a build without it still reports the rest.)
      refused: one("select count(*) from pragma_table_info('media') where name = 'refused'")
        ? Number(one('select count(*) from media where refused is not null'))
        : NaN,
      missing: Number(
        one(
          `select count(*) from media where purpose is null and animated = 0 and refused is null
           and (renditions is null or renditions = '[]')`,
        ),
      ),
      imageRowBytes: Number(
        one(
          `select coalesce(sum(payload), 0) from dbstat
           where name = 'media' or name in (select name from sqlite_schema where type = 'index' and tbl_name = 'media')`,
        ),
      ),
    };
  } finally {
    db.close();
  }
}

/**
 * Carries a blog from before on until every photo has renditions (by hand: CLOUD_RUN_MEDIA_UNTIL_DONE),
 * from its state after `starts` cold starts; the figures for BENCHMARKS.md.
 */
async function untilAllHaveRenditions(
  s: Scenario,
  mode: 'starts' | 'author',
  starts: number,
): Promise<{ figures: Record<string, unknown>; end: Restored }> {
  const began = Date.now();
  let now = await restored(s, `until-${starts}`);
  const cold = async () => {
    await coldStarts(s, 1);
    now = await restored(s, `until-${++starts}`);
  };
  // Both ways need the BLOBs out first: only the boot moves them.
  while (now.inDatabase > 0 || (mode === 'starts' && now.missing > 0)) {
    if (starts >= 300) throw new Error(`still ${now.missing} without renditions after ${starts} starts`);
    await cold();
  }
  const startsMs = Date.now() - began;
  let presses = 0;
  const pressMs: number[] = [];
  if (mode === 'author' && now.missing > 0) {
    const admin = await s.admin();
    for (let done = false; !done;) {
      const t0 = Date.now();
      const res = await admin.request('POST', '/admin/media/renditions', { _csrf: admin.csrf });
      pressMs.push(Date.now() - t0);
      expect(res.status).toBe(303);
      done = res.headers.get('location')!.startsWith('/admin/media?notice=renditions-done');
      if (++presses > 200) throw new Error('still not done after 200 presses');
    }
    await s.cloudRun.scaleToZero();
    now = await restored(s, 'until-end');
  }
  expect([now.integrity, now.inDatabase, now.missing]).toEqual(['ok', 0, 0]);
  const figures = {
    mode,
    coldStarts: starts,
    coldStartsSeconds: Math.round(startsMs / 1000),
    presses,
    pressesSeconds: Math.round(pressMs.reduce((a, b) => a + b, 0) / 1000),
    pressMedianMs: pressMs.length ? median(pressMs) : 0,
    totalSeconds: Math.round((Date.now() - began) / 1000),
    withRenditions: now.withRenditions,
    refused: now.refused,
  };
  return { figures, end: now };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
const statsOf = (c: ColdStarts) => ({
  firstOkMs: c.firstOkMs.join(','),
  probeReadyMedianMs: median(c.probeReadyMs),
  peakMemoryMiB: mib(c.peakMemoryBytes),
  peakTmpfsMiB: mib(c.peakTmpfsBytes),
});

describe(`a photo blog (${IMAGES} photos) on the local Cloud Run`, () => {
  let s: Scenario | undefined;
  let set: PhotoSet;
  const baseDir = mkdtempSync(join(tmpdir(), 'inkstone-photo-blog-'));
  const base = join(baseDir, 'base.db');
  const coldStartMs: Record<Photos, number> = { none: NaN, store: NaN, blobs: NaN };
  beforeAll(async () => {
    set = await photoSet();
    await seedDatabaseFile(base, POSTS, 0);
  }, 120_000);
  afterAll(() => rmSync(baseDir, { recursive: true, force: true }));
  // Every instance's container root is removed at close (2–3 s each here): 50 cold starts took
  // longer than 120 s to clean up.
  afterEach(
    async () => {
      await s?.close();
      s = undefined;
    },
    120_000 + COLD_STARTS * 5_000,
  );

  it('without photos: the reference cold starts', async () => {
    s = await startScenario();
    const seeded = await seedBlog(s, 'none', set, base);
    const starts = await coldStarts(s, COLD_STARTS);
    coldStartMs.none = median(starts.firstOkMs);
    report('photo blog, no photos', {
      databaseMiB: mib(seeded.databaseBytes),
      ...statsOf(starts),
      bucketMiB: Object.fromEntries(Object.entries(bucketBytes(s)).map(([k, v]) => [k, k === 'mediaObjects' ? v : mib(v)])),
    });
  }, 600_000);

  it('with the photos in the bucket: cold starts as without, photos served immutable, renditions to phones', async () => {
    s = await startScenario();
    const seeded = await seedBlog(s, 'store', set, base);
    const starts = await coldStarts(s, COLD_STARTS);
    coldStartMs.store = median(starts.firstOkMs);
    const bucket = bucketBytes(s);
    const end = await restored(s, 'store-end');
    expect(end.integrity).toBe('ok');

    const page = await fetch(`${s.cloudRun.url}/posts/five-photos`);
    const html = await page.text();
    expect(page.status).toBe(200);
    const pictures = [...html.matchAll(/<picture>(.*?)<\/picture>/g)].map((m) => m[1]);
    expect(pictures).toHaveLength(5);
    let originalBytes = 0;
    let phoneBytes = 0;
    for (const picture of pictures) {
      const original = /<img src="([^"]+)"/.exec(picture)![1];
      const avif = /<source type="image\/avif" srcset="([^"]+)"/
        .exec(picture)![1]
        .split(', ')
        .map((c) => {
          const [url, w] = c.split(' ');
          return { url, width: parseInt(w, 10) };
        });
      expect(avif.map((c) => c.width)).toEqual(RENDITION_WIDTHS.filter((w) => w < set.width));
      const phone = avif.find((c) => c.width >= PHONE_PIXELS)!;
      for (const [url, type] of [
        [original, 'image/jpeg'],
        [phone.url, 'image/avif'],
      ]) {
        const res = await fetch(`${s.cloudRun.url}${url}`);
        const body = Buffer.from(await res.arrayBuffer());
        expect([res.status, res.headers.get('content-type'), res.headers.get('cache-control')]).toEqual([200, type, IMMUTABLE]);
        if (url === original) originalBytes += body.length;
        else phoneBytes += body.length;
      }
    }
    // Hot images are kept in memory: a second reader of the same rendition costs no bucket read.
    const phoneUrl = /srcset="([^ "]+) /.exec(pictures[0])![1];
    const readsOf = () => s!.gcs.requests.filter((r) => r.method === 'GET' && r.path.includes('-480w.avif')).length;
    await (await fetch(`${s.cloudRun.url}${phoneUrl}`)).arrayBuffer();
    const reads = readsOf();
    await (await fetch(`${s.cloudRun.url}${phoneUrl}`)).arrayBuffer();
    expect(readsOf()).toBe(reads);

    // The targets. A phone-width post: at least 5× fewer image bytes than the originals.
    expect(originalBytes / phoneBytes).toBeGreaterThanOrEqual(5);
    // The database does not grow with the images' bytes: a row (name, hash, size, the facts of its
    // 8 renditions) is ~0.65 KB against a ~412 KB photo; at most 1 KB an image, 300 KB for 300.
    expect(end.imageRowBytes).toBeGreaterThan(0);
    expect(end.imageRowBytes).toBeLessThanOrEqual(IMAGES * 1024);
    expect(end.imageRowBytes).toBeLessThan(seeded.originalBytes / 250);

    report(`photo blog, ${IMAGES} photos in the bucket`, {
      databaseMiB: mib(seeded.databaseBytes),
      imageRowsKiB: Math.round(end.imageRowBytes / 1024),
      originalsMiB: mib(seeded.originalBytes),
      ...statsOf(starts),
      coldStartVsNoPhotos: `${((coldStartMs.store / coldStartMs.none - 1) * 100).toFixed(0)}%`,
      bucketMiB: { replica: mib(bucket.replica), media: mib(bucket.media), mediaObjects: bucket.mediaObjects },
      fivePhotosKiB: { originals: Math.round(originalBytes / 1024), phone: Math.round(phoneBytes / 1024) },
      phoneFewerBytes: `${(originalBytes / phoneBytes).toFixed(1)}×`,
    });
  }, 600_000);

  it(
    'with the photos as BLOBs (a blog from before): moved out start by start, file compacted, renditions made',
    async () => {
      s = await startScenario();
      const seeded = await seedBlog(s, 'blobs', set, base);
      const progress: string[] = [];
      let last: Restored | null = null;
      const starts = await coldStarts(s, COLD_STARTS, async (start) => {
        const now = await restored(s!, `after-${start}`);
        // Never one lost: what is not moved yet is still in the database (the move is bounded per start).
        expect(now.integrity).toBe('ok');
        if (last) expect(now.inDatabase).toBeLessThanOrEqual(last.inDatabase);
        last = now;
        progress.push(`${start}:${now.inDatabase}db/${now.withRenditions}r/${mib(now.bytes)}MiB`);
      });
      coldStartMs.blobs = starts.firstOkMs[0];
      // By hand: on to the end (it moves the BLOBs left first), before the checks of the moved state.
      const untilDone = UNTIL_DONE ? await untilAllHaveRenditions(s, UNTIL_DONE, COLD_STARTS) : null;
      if (untilDone) last = untilDone.end;
      const end = last!;
      // All moved by now (30 photos: at the first start), every one in the bucket.
      expect(end.inDatabase).toBe(0);
      const objects = s.gcs.objects(s.bucket);
      const { prefix } = mediaPrefixOf(s.replicaUrl);
      expect(seeded.originals.filter((key) => !objects.has(`${prefix}/${key}`))).toEqual([]);
      // The file gave back the BLOBs' pages (VACUUM): at least 90% of the photos' bytes.
      expect(seeded.databaseBytes - end.bytes).toBeGreaterThan(seeded.originalBytes * 0.9);
      expect(end.withRenditions).toBeGreaterThan(0);

      // The photos that have renditions by now are shown with them.
      const page = await fetch(`${s.cloudRun.url}/posts/five-photos`);
      const html = await page.text();
      expect(page.status).toBe(200);
      const pictures = (html.match(/<picture>/g) ?? []).length;
      if (end.withRenditions >= 5) expect(pictures).toBe(5);
      if (untilDone) report(`photo blog, ${IMAGES} photos as BLOBs, until all have renditions`, untilDone.figures);
      const bucket = bucketBytes(s);
      report(`photo blog, ${IMAGES} photos as BLOBs (before)`, {
        databaseMiB: mib(seeded.databaseBytes),
        ...statsOf(starts),
        firstStartVsNoPhotos: `${((coldStartMs.blobs / coldStartMs.none - 1) * 100).toFixed(0)}%`,
        afterEachStart: progress.join(','),
        refused: end.refused,
        picturesOnFivePhotosPost: pictures,
        bucketMiB: { replica: mib(bucket.replica), media: mib(bucket.media), mediaObjects: bucket.mediaObjects },
      });
    },
    UNTIL_DONE ? 4 * 3600_000 : 900_000,
  );
});
