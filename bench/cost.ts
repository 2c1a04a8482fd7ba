/**
 * Monthly cost of a blog on Cloud Run (request-based billing) + Litestream to Cloud Storage,
 * from figures measured by the bench. Prices: list prices, Tier 1 region (e.g. us-central1),
 * as published on cloud.google.com/run/pricing and cloud.google.com/storage/pricing, copied
 * 2026-11-25. Check them before relying on this.
 */
export const PRICES = {
  date: '2026-11-25',
  run: { vcpuSecond: 0.000024, gibSecond: 0.0000025, perMillionRequests: 0.4 },
  runFree: { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 },
  gcs: { gbMonth: 0.02, classAPer1000: 0.005, classBPer1000: 0.0004 },
  gcsFree: { gbMonths: 5, classA: 5_000, classB: 50_000 },
};

export interface CostInputs {
  pageViews: number;
  /** Measured: seconds from process start to first 200 (through start.sh with a restore). */
  coldStartSeconds: number;
  /** Measured: server CPU per request, seconds (a mix of cached and first renders). */
  cpuSecondsPerRequest: number;
  databaseMb: number;
}

export interface CostLine {
  item: string;
  quantity: string;
  list: number;
  afterFree: number;
}

/**
 * Assumptions (stated in BENCHMARKS.md): 1.2 requests per page view (HTML, plus the theme's
 * CSS on a first visit; fingerprinted files are then cached for a year); visits are sparse, so
 * each request is its own billable period and Cloud Run rounds it up to 100 ms; 1 vCPU, 512 MiB
 * (service.yaml); views arrive at random over the month and an instance sleeps after 15 idle
 * minutes (at least one cold start a day, for deploys and recycling); each cold start restores
 * the database (~4 Class B operations) and Litestream then uploads a new generation's snapshot
 * (1 Class A) that retention keeps 72 h; while awake, view counts are written every 30 s at
 * most, each a WAL upload (Class A); 30 author saves a month.
 */
export function monthlyCost(inputs: CostInputs): { lines: CostLine[]; total: number; totalAfterFree: number } {
  const requests = inputs.pageViews * 1.2;
  // Views as random (Poisson) arrivals over the month: an instance sleeps after 15 idle minutes.
  const perMinute = inputs.pageViews / (30 * 24 * 60);
  const idleGap = Math.exp(-15 * perMinute);
  const coldStarts = Math.max(30, inputs.pageViews * idleGap);
  const awakeHours = 30 * 24 * (1 - idleGap);
  const billedSeconds = requests * Math.max(0.1, inputs.cpuSecondsPerRequest) + coldStarts * inputs.coldStartSeconds;
  const vcpuSeconds = billedSeconds * 1;
  const gibSeconds = billedSeconds * 0.5;
  const classA = coldStarts + Math.min(inputs.pageViews, awakeHours * 120) + 30 * 2;
  const classB = coldStarts * 4;
  const storageGb = (inputs.databaseMb / 1024) * (1 + coldStarts / 10);
  const free = PRICES.runFree;
  const lines: CostLine[] = [
    {
      item: 'Cloud Run CPU',
      quantity: `${Math.round(vcpuSeconds).toLocaleString('en')} vCPU-s`,
      list: vcpuSeconds * PRICES.run.vcpuSecond,
      afterFree: Math.max(0, vcpuSeconds - free.vcpuSeconds) * PRICES.run.vcpuSecond,
    },
    {
      item: 'Cloud Run memory',
      quantity: `${Math.round(gibSeconds).toLocaleString('en')} GiB-s`,
      list: gibSeconds * PRICES.run.gibSecond,
      afterFree: Math.max(0, gibSeconds - free.gibSeconds) * PRICES.run.gibSecond,
    },
    {
      item: 'Cloud Run requests',
      quantity: `${Math.round(requests).toLocaleString('en')}`,
      list: (requests / 1e6) * PRICES.run.perMillionRequests,
      afterFree: (Math.max(0, requests - free.requests) / 1e6) * PRICES.run.perMillionRequests,
    },
    {
      item: 'GCS Class A (uploads)',
      quantity: `${Math.round(classA).toLocaleString('en')}`,
      list: (classA / 1000) * PRICES.gcs.classAPer1000,
      afterFree: (Math.max(0, classA - PRICES.gcsFree.classA) / 1000) * PRICES.gcs.classAPer1000,
    },
    {
      item: 'GCS Class B (restores)',
      quantity: `${Math.round(classB).toLocaleString('en')}`,
      list: (classB / 1000) * PRICES.gcs.classBPer1000,
      afterFree: (Math.max(0, classB - PRICES.gcsFree.classB) / 1000) * PRICES.gcs.classBPer1000,
    },
    {
      item: 'GCS storage (replica + 72 h of generations)',
      quantity: `${storageGb.toFixed(2)} GB`,
      list: storageGb * PRICES.gcs.gbMonth,
      afterFree: Math.max(0, storageGb - PRICES.gcsFree.gbMonths) * PRICES.gcs.gbMonth,
    },
  ];
  return {
    lines,
    total: lines.reduce((n, l) => n + l.list, 0),
    totalAfterFree: lines.reduce((n, l) => n + l.afterFree, 0),
  };
}
