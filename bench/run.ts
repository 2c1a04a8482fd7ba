/**
 * `npm run bench [-- --quick] [-- --app DIR]`: seeds databases, measures cold starts, throughput,
 * latency, memory and CPU per request of the built app, prints a table and (full runs of this
 * checkout) writes it into BENCHMARKS.md. `--app DIR` measures another built checkout (for
 * before/after figures); `--quick` is the CI smoke run: small, short, writes nothing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import Database from 'better-sqlite3';

import { coldStartExisting, coldStartFloor, coldStartFresh, coldStartRestore, makeReplica, startShEnv } from './cold-start.js';
import { costTable, PRICES } from './cost.js';
import { BLOG_SHAPES, CLOUD_RUN_FIGURES } from './cost-figures.js';
import { firstRenders, hammer, type LoadResult, startCeiling } from './load.js';
import { appAt, appEnv, freePort, median, ROOT, rssOf, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase, type SeedResult } from './seed.js';
import { exitUnlessWrk } from './wrk.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    app: { type: 'string' },
    label: { type: 'string' },
    node: { type: 'string' },
    'compile-cache': { type: 'string' },
  },
});
const quick = args.quick;
const app = appAt(args.app ?? ROOT, args.node, args['compile-cache'] ? { NODE_COMPILE_CACHE: args['compile-cache'] } : {});
const MAIN = app.main;
const appDir = app.dir;
const RUNS = quick ? 2 : 10;
const SECONDS = quick ? 1 : 5;
const SIZES = quick ? [100, 1_000] : [100, 10_000];
const work = join(ROOT, '.tmp', 'bench');
mkdirSync(work, { recursive: true });
// Before anything slow: without wrk there are no throughput figures, and the run fails saying how to get it.
exitUnlessWrk();

const lines: string[] = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};
const ms = (n: number) => `${n.toFixed(n < 1 ? 2 : n < 10 ? 1 : 0)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');
out(
  `Machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${mb(totalmem())} RAM; Node ${process.version}; ${new Date().toISOString()}; load average ${load()}`,
);
out(
  `App: ${MAIN.replace(appDir + '/', '')} of ${args.label ?? appDir} on ${args.node ?? `Node ${process.version}`}${app.env.NODE_COMPILE_CACHE ? ' with NODE_COMPILE_CACHE' : ''}${quick ? ' (quick run: small and short, not figures to quote)' : ''}`,
);
out();

// --- cold start -------------------------------------------------------------------------------
const small = await seedDatabase(join(work, 'p100.db'), 100);
// The floor and the app alternate, run by run, so that the machine's load weighs on both alike.
const floor = { label: '', runs: [] as number[], median: NaN };
const existing = { label: '', runs: [] as number[], median: NaN };
for (let i = 0; i < RUNS; i++) {
  for (const [into, one] of [
    [floor, await coldStartFloor(app, small.path, 1)],
    [existing, await coldStartExisting(app, small.path, 1)],
  ] as const) {
    into.label = one.label;
    into.runs.push(...one.runs);
  }
}
floor.median = median(floor.runs);
existing.median = median(existing.runs);
const cold = [floor, existing, await coldStartFresh(app, work, RUNS)];
const restoreSizes = quick ? [10] : [10, 100];
let litestreamRss = NaN;
for (const size of restoreSizes) {
  const db = await seedDatabase(join(work, `r${size}.db`), 100, size * 1024 * 1024);
  const replica = join(work, `replica-${size}`);
  await makeReplica(app, db.path, replica);
  if (size === 10) litestreamRss = await litestreamReplicatingRss(db.path, join(work, 'replica-rss'));
  const dir = join(work, `restore-${size}`);
  mkdirSync(dir, { recursive: true });
  cold.push(await coldStartRestore(app, `start.sh, restore of a ${size} MB file replica`, replica, dir, RUNS));
}
out('| cold start (process start → first 200 on /) | median | min | max | × floor | runs |');
out('|---|---|---|---|---|---|');
for (const c of cold)
  out(
    `| ${c.label} | ${ms(c.median)} | ${ms(Math.min(...c.runs))} | ${ms(Math.max(...c.runs))} | ${(c.median / floor.median).toFixed(1)} | ${c.runs.length} |`,
  );
out();

// --- load -------------------------------------------------------------------------------------
interface SizeResult {
  posts: number;
  results: LoadResult[];
  ceiling: LoadResult[];
  /** First renders one at a time (a reader alone), and 10 at a time (queueing included). */
  first: { p50: number; p99: number; n: number };
  first10: { p50: number; p99: number; n: number };
  rssStart: number;
  rssAfter: number;
}
const sizes: SizeResult[] = [];
for (const posts of SIZES) {
  const seeded = posts === 100 ? small : await seedDatabase(join(work, `p${posts}.db`), posts);
  sizes.push(await loadRun(seeded));
}

out('| route (wrk) | posts | conns | req/s | p50 | p99 | % of node:http | CPU per request | failures |');
out('|---|---|---|---|---|---|---|---|---|');
for (const s of sizes) {
  for (const r of [...s.results, ...s.ceiling]) {
    const ceiling = s.ceiling.find((c) => c.connections === r.connections)!;
    const share = r.route === 'node:http ceiling' ? '100%' : `${((r.rps / ceiling.rps) * 100).toFixed(0)}%`;
    out(
      `| ${r.route} | ${s.posts} | ${r.connections} | ${Math.round(r.rps).toLocaleString('en')} | ${ms(r.p50)} | ${ms(r.p99)} | ${share} | ${r.cpuMsPerRequest.toFixed(3)} ms | ${r.failures} |`,
    );
  }
}
out();
out('| first render of a post page (cache empty, right after start) | posts | p50 | p99 | pages |');
out('|---|---|---|---|---|');
for (const s of sizes) {
  out(`| one at a time | ${s.posts} | ${ms(s.first.p50)} | ${ms(s.first.p99)} | ${s.first.n} |`);
  out(
    `| 10 at a time (includes waiting for the other 9) | ${s.posts} | ${ms(s.first10.p50)} | ${ms(s.first10.p99)} | ${s.first10.n} |`,
  );
}
out();
out('| memory (RSS) | value |');
out('|---|---|');
for (const s of sizes) {
  out(`| app after start, ${s.posts} posts | ${mb(s.rssStart)} |`);
  out(`| app after the load, ${s.posts} posts | ${mb(s.rssAfter)} |`);
}
out(`| Litestream while replicating writes (10 MB database) | ${mb(litestreamRss)} |`);
out();

// --- scaling ----------------------------------------------------------------------------------
const [few, many] = sizes;
out(`| scaling: ${few.posts} → ${many.posts} posts (10 connections) | p50 | req/s |`);
out('|---|---|---|');
for (const route of ['home', 'post', 'search', 'tag']) {
  const a = few.results.find((r) => r.route === route && r.connections === 10)!;
  const b = many.results.find((r) => r.route === route && r.connections === 10)!;
  out(
    `| ${route} | ${ms(a.p50)} → ${ms(b.p50)} | ${Math.round(a.rps)} → ${Math.round(b.rps)} (${((b.rps / a.rps - 1) * 100).toFixed(0)}%) |`,
  );
}
const firstRatio = many.first.p50 / few.first.p50;
out(`| post page, first render | ${ms(few.first.p50)} → ${ms(many.first.p50)} (×${firstRatio.toFixed(2)}) | |`);
out();

// --- cost -------------------------------------------------------------------------------------
const post10 = few.results.find((r) => r.route === 'post' && r.connections === 10)!;
const memoryGib = serviceMemoryGib();
out(`Monthly cost model (prices of ${PRICES.date}; figures and assumptions in BENCHMARKS.md, "Cost model"):`);
for (const blog of BLOG_SHAPES) {
  out();
  out(`${blog.name}, ${memoryGib} GiB instance, bucket in a free-tier region, soft delete cleared:`);
  out();
  for (const row of costTable(
    blog,
    { ...CLOUD_RUN_FIGURES, cpuPerRequest: post10.cpuMsPerRequest / 1000 },
    memoryGib,
    [10_000, 1_000_000],
  ))
    out(row);
}
out();

out(
  `Load average at the end: ${load()} (the machine is shared: absolute figures are pessimistic, ratios within one run are what to quote).`,
);
const table = lines.join('\n');
if (quick || args.app || args.node) {
  const name = quick ? 'quick' : (args.label ?? 'other').replace(/[^\w.-]+/g, '-');
  writeFileSync(join(work, `${name}.md`), table + '\n');
  console.log(`\nWritten to .tmp/bench/${name}.md`);
} else {
  const file = join(ROOT, 'BENCHMARKS.md');
  const doc = readFileSync(file, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  if (!doc.includes(start) || !doc.includes(end)) throw new Error(`BENCHMARKS.md lacks the ${start} / ${end} markers`);
  writeFileSync(file, doc.slice(0, doc.indexOf(start) + start.length) + '\n' + table + '\n' + doc.slice(doc.indexOf(end)));
  console.log('\nWritten to BENCHMARKS.md');
}
const failures = sizes.flatMap((s) => s.results).reduce((n, r) => n + r.failures, 0);
if (failures) {
  console.error(`${failures} requests failed during the load: the figures above are not valid.`);
  process.exitCode = 1;
}

async function loadRun(seeded: SeedResult): Promise<SizeResult> {
  const port = await freePort();
  const server = spawnApp(app.node, [MAIN], appEnv(seeded.path, port, app.env), port);
  try {
    await waitFor200(`${server.base}/`, server);
    const pid = server.child.pid!;
    const rssStart = rssOf(pid);
    const slugs = Array.from({ length: Math.min(seeded.posts, 500) }, (_, i) => `/posts/post-${seeded.posts - i}`);
    const half = slugs.length >> 1;
    const first = await firstRenders(server.base, slugs.slice(0, half), 1);
    const first10 = await firstRenders(server.base, slugs.slice(half), 10);
    // As browsers and feed readers ask: identity (what the ceiling sends), and compressed.
    const compressed = { 'Accept-Encoding': 'gzip, deflate, br' };
    const routes: [string, string, Record<string, string>?][] = [
      ['home', '/'],
      ['post', `/posts/${seeded.postSlug}`],
      ['post, br', `/posts/${seeded.postSlug}`, compressed],
      ['tag', `/tags/${seeded.tagSlug}`],
      ['feed', '/feed.xml'],
      ['feed, br', '/feed.xml', compressed],
      ['search', `/search?q=${seeded.searchTerm}`],
    ];
    const results: LoadResult[] = [];
    for (const [route, path, headers] of routes) {
      for (const connections of [10, 50])
        results.push(await hammer(route, `${server.base}${path}`, connections, SECONDS, pid, headers));
    }
    const rssAfter = rssOf(pid);
    const page = await fetch(`${server.base}/posts/${seeded.postSlug}`, { headers: { 'accept-encoding': 'identity' } });
    const body = Buffer.from(await page.arrayBuffer());
    const ceilingServer = await startCeiling(body, page.headers.get('content-type') ?? 'text/html', app.node);
    const ceiling: LoadResult[] = [];
    try {
      for (const connections of [10, 50]) {
        ceiling.push(await hammer('node:http ceiling', `${ceilingServer.base}/`, connections, SECONDS, ceilingServer.child.pid!));
      }
    } finally {
      await ceilingServer.stop();
    }
    return { posts: seeded.posts, results, ceiling, first, first10, rssStart, rssAfter };
  } finally {
    await server.stop();
  }
}

/** Litestream's RSS while the app runs and a writer commits ~100 KB every 100 ms for 3 s. */
async function litestreamReplicatingRss(databasePath: string, replicaDir: string): Promise<number> {
  const copy = join(work, 'rss.db');
  rmSync(replicaDir, { recursive: true, force: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  writeFileSync(copy, readFileSync(databasePath));
  const [port, metricsPort] = [await freePort(), await freePort()];
  const running = spawnApp(
    'sh',
    [join(app.dir, 'scripts/start.sh')],
    startShEnv(app, copy, `file://${replicaDir}`, port, metricsPort),
    port,
  );
  let peak = 0;
  try {
    await waitFor200(`${running.base}/healthz`, running);
    const db = new Database(copy);
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare('INSERT INTO bench_padding (data) VALUES (randomblob(100000))');
    for (let i = 0; i < 30; i++) {
      insert.run();
      // start.sh exec'd Litestream: the spawned pid is Litestream's.
      peak = Math.max(peak, rssOf(running.child.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
    db.close();
  } finally {
    await running.stop();
  }
  return peak;
}

/** The memory limit service.yaml gives the instance, in GiB. */
function serviceMemoryGib(): number {
  const match = /memory:\s*'?(\d+)(Mi|Gi)'?/.exec(readFileSync(join(ROOT, 'service.yaml'), 'utf8'));
  if (!match) throw new Error('service.yaml names no memory limit');
  return match[2] === 'Gi' ? Number(match[1]) : Number(match[1]) / 1024;
}
