/**
 * Before/after figures, interleaved so that a busy machine slows every variant alike:
 * `node .tmp/bench-build/bench/compare.js [--runs N] [--load] label=DIR[,NODE[,COMPILE_CACHE]][,--NODE_OPTION...] ...`
 * Each round starts the floor (Node + better-sqlite3 + one query + listen, once per Node binary)
 * and every variant once (process start → first 200 on `/` of a 100-post blog); `--load` then
 * drives each variant's post page with wrk at 10 and 50 connections, alternating with a bare
 * node:http server sending the same bytes (the ceiling).
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { type ColdStart, coldStartExisting, coldStartFloor } from './cold-start.js';
import { hammer, type LoadResult, startCeiling } from './load.js';
import { type App, appAt, appEnv, freePort, median, ROOT, rssOf, serviceNodeOptions, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase } from './seed.js';
import { exitUnlessWrk } from './wrk.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '10' }, load: { type: 'boolean', default: false } },
});
if (values.load) exitUnlessWrk();
const variants = positionals.map((arg) => {
  const cut = arg.indexOf('=');
  const [label, spec] = [arg.slice(0, cut), arg.slice(cut + 1)];
  const parts = spec.split(',');
  // `--…` items: Node options added to service.yaml's NODE_OPTIONS for this variant.
  const flags = parts.filter((p) => p.startsWith('--'));
  const [dir, node, cache] = parts.filter((p) => !p.startsWith('--'));
  const env: Record<string, string> = cache ? { NODE_COMPILE_CACHE: cache } : {};
  if (flags.length) env.NODE_OPTIONS = [serviceNodeOptions(), ...flags].join(' ');
  return { label, app: appAt(dir, node || process.execPath, env) };
});
// One floor per Node binary, with the better-sqlite3 of the first variant that runs on it.
const floors = new Map<string, App>();
for (const v of variants) if (!floors.has(v.app.node)) floors.set(v.app.node, v.app);
const floorLabel = (node: string) => `floor (${node === process.execPath ? `Node ${process.version}` : node})`;

const ROUNDS = 3;
const work = join(ROOT, '.tmp', 'bench');
mkdirSync(work, { recursive: true });
const seeded = await seedDatabase(join(work, 'compare.db'), 100);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');
console.log(`Load average before: ${load()}`);

const labels = [...[...floors.keys()].map(floorLabel), ...variants.map((v) => v.label)];
const times = new Map<string, number[]>(labels.map((l) => [l, []]));
const cpu = new Map<string, number[]>(labels.map((l) => [l, []]));
const add = (label: string, one: ColdStart) => {
  times.get(label)!.push(...one.runs);
  cpu.get(label)!.push(...one.cpu);
};
for (let round = 0; round < Number(values.runs); round++) {
  for (const [node, app] of floors) add(floorLabel(node), await coldStartFloor(app, seeded.path, 1));
  for (const v of variants) add(v.label, await coldStartExisting(v.app, seeded.path, 1));
}
console.log('| variant | cold start median | min | max | × floor | CPU to first 200 (median) | CPU × floor | runs |');
console.log('|---|---|---|---|---|---|---|---|');
const floorOf = (node: string) => median(times.get(floorLabel(node))!);
const floorCpuOf = (node: string) => median(cpu.get(floorLabel(node))!);
for (const [label, node] of [
  ...[...floors.keys()].map((n) => [floorLabel(n), n]),
  ...variants.map((v) => [v.label, v.app.node]),
]) {
  const t = times.get(label)!;
  const c = median(cpu.get(label)!);
  console.log(
    `| ${label} | ${median(t).toFixed(0)} ms | ${Math.min(...t).toFixed(0)} ms | ${Math.max(...t).toFixed(0)} ms | ${(median(t) / floorOf(node)).toFixed(1)} | ${c.toFixed(0)} ms | ${(c / floorCpuOf(node)).toFixed(1)} | ${t.length} |`,
  );
}

if (values.load) {
  console.log(
    `\n| variant (wrk, median of ${ROUNDS} alternating rounds) | conns | post page req/s | node:http req/s | % of node:http | p50 | p99 | CPU per request (node:http) | RSS after |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const v of variants) {
    const { results, ceiling, rss } = await loadOnce(v.app);
    for (const conns of [10, 50]) {
      const app = results.filter((r) => r.connections === conns);
      const top = ceiling.filter((r) => r.connections === conns);
      const ratios = app.map((r, i) => r.rps / top[i].rps);
      const m = (rs: LoadResult[], k: 'rps' | 'p50' | 'p99' | 'cpuMsPerRequest') => median(rs.map((r) => r[k]));
      console.log(
        `| ${v.label} | ${conns} | ${Math.round(m(app, 'rps'))} | ${Math.round(m(top, 'rps'))} | ${(median(ratios) * 100).toFixed(0)}% | ${m(app, 'p50').toFixed(2)} ms | ${m(app, 'p99').toFixed(2)} ms | ${m(app, 'cpuMsPerRequest').toFixed(3)} ms (${m(top, 'cpuMsPerRequest').toFixed(3)} ms) | ${(rss / 1048576).toFixed(0)} MB |`,
      );
    }
  }
}
console.log(`\nLoad average after: ${load()}`);

/**
 * The app's post page and the ceiling alternate (both processes up, 5 s each, 10 then 50
 * connections, ROUNDS rounds), so that the machine's load, which moves by the minute when it is
 * shared, weighs on both sides of each ratio alike.
 */
async function loadOnce(app: App): Promise<{ results: LoadResult[]; ceiling: LoadResult[]; rss: number }> {
  const port = await freePort();
  const server = spawnApp(app.node, [app.main], appEnv(seeded.path, port, app.env), port);
  try {
    await waitFor200(`${server.base}/`, server);
    const url = `${server.base}/posts/${seeded.postSlug}`;
    await hammer('warm-up', url, 10, 1, server.child.pid!);
    const page = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const ceilingServer = await startCeiling(
      Buffer.from(await page.arrayBuffer()),
      page.headers.get('content-type') ?? 'text/html',
      app.node,
    );
    try {
      const results: LoadResult[] = [];
      const ceiling: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of [10, 50]) {
          results.push(await hammer('post', url, c, 5, server.child.pid!));
          ceiling.push(await hammer('node:http ceiling', `${ceilingServer.base}/`, c, 5, ceilingServer.child.pid!));
        }
      }
      return { results, ceiling, rss: rssOf(server.child.pid!) };
    } finally {
      await ceilingServer.stop();
    }
  } finally {
    await server.stop();
  }
}
