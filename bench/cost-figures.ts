import type { BlogShape, CloudRunFigures } from './cost.js';

/**
 * What the local Cloud Run counted (npm run test:cloud-run, 2026-12-02, 2 shared cores, the image
 * built from the Dockerfile): 20 scale-to-zero cycles (start, a few reads, one save, idle, SIGTERM)
 * used 48.8 CPU-s starting, 3.1 CPU-s stopping, 341 Class A operations (240 of them listings: the
 * lease take, Litestream's restore and the generation pruning list the replica) and 196 Class B;
 * the bucket levelled off at 6 generations; a first 200 came 3.9 s (empty bucket) to 5.0 s (50 MB)
 * after the first request. The per-save share (a WAL upload, a lease read) is taken out of the
 * per-cycle figures. CPU per request is replaced by `npm run bench`'s own measurement.
 */
export const CLOUD_RUN_FIGURES: CloudRunFigures = {
  cpuPerColdStart: 48.8 / 20,
  cpuPerShutdown: 3.1 / 20,
  secondsPerColdStart: 4.5,
  cpuPerRequest: 0.0005,
  classAPerColdStart: 341 / 20 - 2,
  classBPerColdStart: 196 / 20 - 1,
  classAPerSave: 2,
  classBPerSave: 1,
  // Six generations kept, each a full snapshot (lz4; images do not compress): at most 6 × the database.
  bucketBytesPerDbMb: 6e6,
  deletedBytesPerDbMbPerColdStart: 1e6,
  imageGb: 0.489,
  imagesKept: 5,
};

/**
 * A text blog and a photo blog: 300 photos of ~500 KB in the media store (issue 14), 150 MB of
 * originals + ~18 % of renditions, stored once; the database keeps only their rows. A post shows 5
 * photos; a reader's browser picks a rendition: 5 × ~107 KB, `npm run bench:media`'s heaviest case
 * (a 3× phone, AVIF 1440 px, of 2.6 MB noisy photos; a 500 KB camera photo gives less).
 */
export const BLOG_SHAPES: BlogShape[] = [
  {
    name: 'text blog (10 MB database)',
    databaseMb: 10,
    htmlBytesPerView: 6_000,
    cssBytesPerView: 800,
    imageBytesPerView: 0,
    imageRequestsPerView: 0,
    imageObjects: 0,
    mediaMb: 0,
  },
  {
    name: 'photo blog (300 photos of 500 KB in the media store, a post shows 5 renditions)',
    databaseMb: 10,
    htmlBytesPerView: 6_000,
    cssBytesPerView: 800,
    imageBytesPerView: 533_000,
    imageRequestsPerView: 5,
    imageObjects: 300,
    mediaMb: 177,
  },
];
