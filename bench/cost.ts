/**
 * Monthly cost of a blog on Cloud Run (request-based billing) + Litestream to Cloud Storage, from
 * what the local Cloud Run (apps/blog/test/cloud-run/) counted: CPU-seconds of a cold start, of a
 * request and of a shutdown, bucket operations by class per cold start and per save, bytes a reader
 * downloads, and what the bucket keeps. Prices: list prices of a Tier 1 region (us-central1), as
 * published on the Cloud Run, Cloud Storage, Network Service Tiers, Artifact Registry and Secret
 * Manager pricing pages, copied on the date below. Check them before relying on this.
 */
export const PRICES = {
  date: '2026-12-02',
  run: { vcpuSecond: 0.000024, gibSecond: 0.0000025, perMillionRequests: 0.4 },
  /** Per billing account, every region (applied as a Tier 1 spending discount). */
  runFree: { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 },
  /** Premium Tier internet data transfer, 0–1 TiB, worldwide except China and Australia. */
  egress: { perGib: 0.12 },
  /** Cloud Run's own free data transfer: 1 GiB a month within North America. */
  egressFreeGib: 1,
  gcs: { gbMonth: 0.02, classAPer1000: 0.005, classBPer1000: 0.0004 },
  /** Always Free, only for buckets in us-east1, us-west1 and us-central1. */
  gcsFree: { gbMonths: 5, classA: 5_000, classB: 50_000 },
  artifactRegistry: { gbMonth: 0.1, freeGb: 0.5 },
  secretManager: { versionMonth: 0.06, freeVersions: 6, accessPer10k: 0.03, freeAccesses: 10_000 },
};

/** Counted by the local Cloud Run (BENCHMARKS.md, "Cost model": where each figure comes from). */
export interface CloudRunFigures {
  /** CPU while an instance starts (start.sh, restore, boot, first snapshot, lease), vCPU-s. */
  cpuPerColdStart: number;
  /** CPU while it shuts down, vCPU-s. */
  cpuPerShutdown: number;
  /** Seconds an instance is billed while starting (to the startup probe passing). */
  secondsPerColdStart: number;
  /** Server CPU per request, vCPU-s (mostly cache hits). */
  cpuPerRequest: number;
  /** Class A (writes, listings) and Class B (reads) operations of one cold start + shutdown. */
  classAPerColdStart: number;
  classBPerColdStart: number;
  /** Class A operations of one author save (the WAL upload, the lease check is Class B). */
  classAPerSave: number;
  classBPerSave: number;
  /** Bytes in the bucket at the steady state (pruned to a few generations), per MB of database. */
  bucketBytesPerDbMb: number;
  /** Bytes deleted per cold start per MB of database (an old generation pruned): billed 7 days under soft delete. */
  deletedBytesPerDbMbPerColdStart: number;
  imageGb: number;
  imagesKept: number;
}

export interface BlogShape {
  name: string;
  databaseMb: number;
  /** Bytes a reader downloads per page view: HTML (compressed), CSS (first visit), images. */
  htmlBytesPerView: number;
  cssBytesPerView: number;
  imageBytesPerView: number;
  /** Image requests per page view (each a Cloud Run request: the app serves /media). */
  imageRequestsPerView: number;
  /** Distinct image objects readers fetch (after a cold start each is read from the bucket once). */
  imageObjects: number;
  /** Image objects in the media store (originals + renditions), MB: stored once, not per generation. */
  mediaMb: number;
}

export interface CostLine {
  item: string;
  quantity: string;
  list: number;
  afterFree: number;
}

export interface CostOptions {
  /** Whether the bucket is in a region with Cloud Storage's Always Free tier. */
  gcsFreeRegion: boolean;
  /** Whether the bucket keeps deleted objects 7 days (bootstrap-gcp.sh clears it). */
  softDelete: boolean;
}

/**
 * Assumptions (BENCHMARKS.md): 1.2 requests per page view, plus its images; views arrive at random over the month
 * and an instance is stopped after 15 idle minutes (at least one cold start a day for deploys and
 * recycling); each request is billed on its own, rounded up to 100 ms, at 1 vCPU and the
 * service's memory; 30 author saves a month; view counts reach the bucket at most every 30 s while
 * an instance is awake (one Class A each); two secrets with one version each, read at each cold start.
 */
export function monthlyCost(
  views: number,
  blog: BlogShape,
  run: CloudRunFigures,
  memoryGib: number,
  options: CostOptions = { gcsFreeRegion: true, softDelete: false },
): { lines: CostLine[]; total: number; totalAfterFree: number } {
  const requests = views * (1.2 + blog.imageRequestsPerView);
  const perMinute = views / (30 * 24 * 60);
  const idleGap = Math.exp(-15 * perMinute);
  const coldStarts = Math.max(30, views * idleGap);
  const awakeHours = 30 * 24 * (1 - idleGap);
  const saves = 30;

  const requestSeconds = requests * Math.max(0.1, run.cpuPerRequest);
  const startSeconds = coldStarts * (run.secondsPerColdStart + run.cpuPerShutdown);
  const vcpuSeconds = requests * run.cpuPerRequest + coldStarts * (run.cpuPerColdStart + run.cpuPerShutdown);
  const billedSeconds = requestSeconds + startSeconds;
  const billedVcpu = Math.max(vcpuSeconds, billedSeconds);
  const gibSeconds = billedSeconds * memoryGib;

  const viewFlushes = Math.min(views, awakeHours * 120);
  const classA = coldStarts * run.classAPerColdStart + saves * run.classAPerSave + viewFlushes;
  // The app keeps hot images in memory (MEDIA_CACHE_MB): an image is read from the bucket at most
  // once per instance life, and never more often than it is asked for.
  const imageReads = Math.min(views * blog.imageRequestsPerView, coldStarts * blog.imageObjects);
  const classB = coldStarts * run.classBPerColdStart + saves * run.classBPerSave + imageReads;
  const storedGb = (blog.databaseMb * run.bucketBytesPerDbMb) / 1e9 + blog.mediaMb / 1e3;
  const softDeletedGb = options.softDelete
    ? (coldStarts * run.deletedBytesPerDbMbPerColdStart * blog.databaseMb * 7) / 30 / 1e9
    : 0;
  const egressGib = (views * (blog.htmlBytesPerView + blog.cssBytesPerView + blog.imageBytesPerView)) / 2 ** 30;
  const registryGb = run.imageGb * run.imagesKept;
  const secretAccesses = coldStarts * 2;

  const free = PRICES.runFree;
  const gcsFree = options.gcsFreeRegion ? PRICES.gcsFree : { gbMonths: 0, classA: 0, classB: 0 };
  const sm = PRICES.secretManager;
  const lines: CostLine[] = [
    line('Cloud Run CPU', `${fmt(billedVcpu)} vCPU-s`, billedVcpu, free.vcpuSeconds, PRICES.run.vcpuSecond),
    line('Cloud Run memory', `${fmt(gibSeconds)} GiB-s`, gibSeconds, free.gibSeconds, PRICES.run.gibSecond),
    line('Cloud Run requests', fmt(requests), requests / 1e6, free.requests / 1e6, PRICES.run.perMillionRequests),
    line(
      'Internet egress (HTML, CSS, images)',
      `${egressGib.toFixed(2)} GiB`,
      egressGib,
      PRICES.egressFreeGib,
      PRICES.egress.perGib,
    ),
    line('GCS Class A (uploads, listings)', fmt(classA), classA / 1000, gcsFree.classA / 1000, PRICES.gcs.classAPer1000),
    line('GCS Class B (reads, images included)', fmt(classB), classB / 1000, gcsFree.classB / 1000, PRICES.gcs.classBPer1000),
    line(
      `GCS storage${options.softDelete ? ' (+ 7 days of soft-deleted generations)' : ''}`,
      `${(storedGb + softDeletedGb).toFixed(3)} GB`,
      storedGb + softDeletedGb,
      gcsFree.gbMonths,
      PRICES.gcs.gbMonth,
    ),
    line(
      'Artifact Registry',
      `${registryGb.toFixed(2)} GB`,
      registryGb,
      PRICES.artifactRegistry.freeGb,
      PRICES.artifactRegistry.gbMonth,
    ),
    line('Secret Manager versions', '2', 2, sm.freeVersions, sm.versionMonth),
    line('Secret Manager accesses', fmt(secretAccesses), secretAccesses / 1e4, sm.freeAccesses / 1e4, sm.accessPer10k),
  ];
  return {
    lines,
    total: lines.reduce((n, l) => n + l.list, 0),
    totalAfterFree: lines.reduce((n, l) => n + l.afterFree, 0),
  };
}

function line(item: string, quantity: string, units: number, freeUnits: number, price: number): CostLine {
  return { item, quantity, list: units * price, afterFree: Math.max(0, units - freeUnits) * price };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** Markdown rows for one blog shape at the given monthly views. */
export function costTable(
  blog: BlogShape,
  run: CloudRunFigures,
  memoryGib: number,
  viewsList: number[],
  options?: CostOptions,
): string[] {
  const rows = ['| page views / month | line | quantity | list price | after free tiers |', '|---|---|---|---|---|'];
  for (const views of viewsList) {
    const cost = monthlyCost(views, blog, run, memoryGib, options);
    for (const l of cost.lines) {
      rows.push(`| ${fmt(views)} | ${l.item} | ${l.quantity} | $${l.list.toFixed(4)} | $${l.afterFree.toFixed(4)} |`);
    }
    rows.push(`| ${fmt(views)} | **total** | | **$${cost.total.toFixed(2)}** | **$${cost.totalAfterFree.toFixed(2)}** |`);
  }
  return rows;
}
