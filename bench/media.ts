/**
 * `npm run bench:media`: a photo blog (500 posts, 300 images, ~150 MB of originals) with its images
 * as BLOBs in the database (before: how every blog stored them until now) and in the media store
 * (after). Measures the database files, what Litestream restores on a cold start, the app's cold
 * start, and the image bytes a phone downloads for a post with 5 photos (original vs. rendition),
 * with the real pipeline. Prints a Markdown table for BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import Database from 'better-sqlite3';

import { coldStartExisting, LITESTREAM_BIN } from './cold-start.js';
import { appAt, DIST_ROOT, median, ROOT } from './processes.js';
import { seedDatabase } from './seed.js';

const POSTS = 500;
const IMAGES = 300;
const IMAGE_BYTES = 500 * 1024;
const RUNS = 5;
const work = join(ROOT, '.tmp', 'bench-media');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const KB = (n: number) => `${Math.round(n / 1024)} KB`;

/** 500 posts, then 300 images of 500 KB (random bytes: what matters here is their weight). */
async function blog(name: string, inDatabase: boolean): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'blog.db');
  await seedDatabase(path, POSTS);
  const db = new Database(path);
  const insert = db.prepare(
    `INSERT INTO media (filename, content_type, size, sha256, width, height, data, created_at) VALUES (?, 'image/jpeg', ?, ?, 2400, 1600, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < IMAGES; i++) {
      const bytes = randomBytes(IMAGE_BYTES);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (!inDatabase) writeFileSync(join(dir, 'media', `${sha}.jpg`), bytes);
      insert.run(`photo-${i}.jpg`, bytes.length, sha, inDatabase ? bytes : null, Date.now());
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return path;
}

/** Litestream ships a snapshot to a file:// replica; then the restore a cold start does, timed. */
function replicateAndRestore(path: string): { snapshotBytes: number; restoreMs: number } {
  const replica = join(path, '..', 'replica');
  const config = join(path, '..', 'litestream.yml');
  writeFileSync(config, `dbs:\n  - path: ${path}\n    replicas:\n      - url: file://${replica}\n        sync-interval: 100ms\n`);
  execFileSync(LITESTREAM_BIN, ['replicate', '-config', config, '-exec', 'sleep 3'], { stdio: 'ignore' });
  const snapshots = (readdirSync(replica, { recursive: true }) as string[]).filter((f) => f.endsWith('.snapshot.lz4'));
  const snapshotBytes = snapshots.reduce((sum, f) => sum + statSync(join(replica, f)).size, 0);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = join(path, '..', `restored-${i}.db`);
    const t0 = performance.now();
    execFileSync(LITESTREAM_BIN, ['restore', '-o', out, `file://${replica}`], { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return { snapshotBytes, restoreMs: median(times) };
}

const app = appAt(ROOT);
const before = await blog('before', true);
const after = await blog('after', false);
const size = (p: string) => statSync(p).size;
const [restoreBefore, restoreAfter] = [replicateAndRestore(before), replicateAndRestore(after)];
// The app's own start on the after database (before: the same app would first move the BLOBs out).
const start = await coldStartExisting(app, after, RUNS);
const mediaBytes = readdirSync(join(after, '..', 'media')).reduce(
  (sum, f) => sum + statSync(join(after, '..', 'media', f)).size,
  0,
);

// --- a post with 5 photos, through the real pipeline -------------------------------------------
const { prepareImage } = (await import(pathToFileURL(join(DIST_ROOT, 'libs/content/src/media/image-pipeline.js')).href)) as {
  prepareImage(
    data: Buffer,
    mime: string,
  ): Promise<{ original: Buffer; renditions: { width: number; format: string; data: Buffer }[] }>;
};
const { default: sharp } = await import('sharp');
let originals = 0;
let renditionsAll = 0;
const picked: Record<string, number> = {
  'phone 375 px @3x (AVIF)': 0,
  'phone 375 px @2x (AVIF)': 0,
  'phone 375 px @3x (WebP only)': 0,
};
let prepareMs = 0;
for (let i = 0; i < 5; i++) {
  const base = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: { r: 40 * i, g: 90, b: 140 } } })
    .composite([
      {
        input: {
          create: {
            width: 3000,
            height: 2000,
            channels: 3,
            background: '#808080',
            noise: { type: 'gaussian', mean: 128, sigma: 40 },
          },
        },
        blend: 'overlay',
      },
    ])
    .blur(2.5)
    .png({ compressionLevel: 0 })
    .toBuffer();
  const photo = await sharp(base).jpeg({ quality: 85 }).toBuffer();
  const t0 = performance.now();
  const prepared = await prepareImage(photo, 'image/jpeg');
  prepareMs += performance.now() - t0;
  originals += prepared.original.length;
  renditionsAll += prepared.renditions.reduce((s, r) => s + r.data.length, 0);
  // What a browser takes from srcset with sizes="100vw" on a 375 px wide phone: the smallest
  // candidate at least as wide as the device pixels, else the largest.
  const pick = (format: string, devicePx: number) => {
    const list = prepared.renditions.filter((r) => r.format === format).sort((a, b) => a.width - b.width);
    return (list.find((r) => r.width >= devicePx) ?? list[list.length - 1]).data.length;
  };
  picked['phone 375 px @3x (AVIF)'] += pick('avif', 1125);
  picked['phone 375 px @2x (AVIF)'] += pick('avif', 750);
  picked['phone 375 px @3x (WebP only)'] += pick('webp', 1125);
}

const rows = [
  `| | before (BLOBs in the database) | after (media store) |`,
  `|---|---|---|`,
  `| database file, ${POSTS} posts + ${IMAGES} images | ${MB(size(before))} | ${MB(size(after))} |`,
  `| Litestream snapshot (what every cold start uploads again) | ${MB(restoreBefore.snapshotBytes)} | ${MB(restoreAfter.snapshotBytes)} |`,
  `| restore from the replica (median of ${RUNS}) | ${restoreBefore.restoreMs.toFixed(0)} ms | ${restoreAfter.restoreMs.toFixed(0)} ms |`,
  `| cold start ≈ restore + app to first 200 (app: median ${start.median.toFixed(0)} ms) | ${(restoreBefore.restoreMs + start.median).toFixed(0)} ms | ${(restoreAfter.restoreMs + start.median).toFixed(0)} ms |`,
  `| replica bytes after 50 cold starts (6 generations kept, pruning) + images | ${MB(6 * restoreBefore.snapshotBytes)} | ${MB(6 * restoreAfter.snapshotBytes + mediaBytes)} + renditions |`,
  `| uploaded to the bucket by 50 cold starts | ${MB(50 * restoreBefore.snapshotBytes)} | ${MB(50 * restoreAfter.snapshotBytes)} |`,
];
console.log(rows.join('\n'));
console.log();
// What the after database holds, by table (SQLite's dbstat): the 5 MB target for 500 posts.
const composition = new Database(after, { readonly: true })
  .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
  .all() as { name: string; bytes: number }[];
console.log(`| the after database (${MB(size(after))}), by table | KiB | share |`);
console.log(`|---|---|---|`);
for (const { name, bytes } of composition.filter((r) => r.bytes >= 64 * 1024))
  console.log(`| \`${name}\` | ${(bytes / 1024).toFixed(0)} | ${((bytes / size(after)) * 100).toFixed(0)} % |`);
const rest = composition.filter((r) => r.bytes < 64 * 1024).reduce((sum, r) => sum + r.bytes, 0);
console.log(`| everything else | ${(rest / 1024).toFixed(0)} | ${((rest / size(after)) * 100).toFixed(0)} % |`);
console.log();
console.log(
  `A post with 5 photos (3000 × 2000 JPEG, q85), made by the real pipeline in ${(prepareMs / 5 / 1000).toFixed(1)} s per photo:`,
);
console.log(`| what a phone downloads | bytes | fewer than the originals |`);
console.log(`|---|---|---|`);
console.log(`| the 5 originals | ${KB(originals)} | 1× |`);
for (const [k, v] of Object.entries(picked)) console.log(`| ${k} | ${KB(v)} | ${(originals / v).toFixed(1)}× |`);
console.log(
  `\nRenditions of the 5 photos, all widths and both formats: ${KB(renditionsAll)} (${((renditionsAll / originals) * 100).toFixed(0)} % of the originals).`,
);
