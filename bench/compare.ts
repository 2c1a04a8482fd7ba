/**
 * Before/after figures, interleaved so that a busy machine slows every variant alike:
 * `node .tmp/bench-build/bench/compare.js [--runs N] [--load] label=DIR[,NODE[,COMPILE_CACHE]] ...`
 * Each round starts every variant once (process start → first 200 on `/` of a 100-post blog);
 * `--load` then also drives each variant's post page with autocannon at 10 connections.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { coldStartExisting } from './cold-start.js';
import { hammer } from './load.js';
import { type App, appAt, appEnv, freePort, median, ROOT, rssOf, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase } from './seed.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '10' }, load: { type: 'boolean', default: false } },
});
const variants = positionals.map((arg) => {
  const cut = arg.lastIndexOf('=');
  const [label, spec] = [arg.slice(0, cut), arg.slice(cut + 1)];
  const [dir, node, cache] = spec.split(',');
  return { label, app: appAt(dir, node || process.execPath, cache ? { NODE_COMPILE_CACHE: cache } : {}) };
});
const work = join(ROOT, '.tmp', 'bench');
mkdirSync(work, { recursive: true });
const seeded = await seedDatabase(join(work, 'compare.db'), 100);

const times = new Map<string, number[]>(variants.map((v) => [v.label, []]));
for (let round = 0; round < Number(values.runs); round++) {
  for (const v of variants) times.get(v.label)!.push(...(await coldStartExisting(v.app, seeded.path, 1)).runs);
}
console.log('| variant | cold start median | min | max | runs |');
console.log('|---|---|---|---|---|');
for (const v of variants) {
  const t = times.get(v.label)!;
  console.log(
    `| ${v.label} | ${median(t).toFixed(0)} ms | ${Math.min(...t).toFixed(0)} ms | ${Math.max(...t).toFixed(0)} ms | ${t.length} |`,
  );
}

if (values.load) {
  console.log('\n| variant | post page req/s (10 conns) | p50 | p99 | CPU per request | RSS after |');
  console.log('|---|---|---|---|---|---|');
  for (const v of variants) {
    const r = await loadOnce(v.app);
    console.log(
      `| ${v.label} | ${Math.round(r.rps)} | ${r.p50} ms | ${r.p99} ms | ${r.cpuMsPerRequest.toFixed(3)} ms | ${(r.rss / 1048576).toFixed(0)} MB |`,
    );
  }
}

async function loadOnce(app: App) {
  const port = await freePort();
  const server = spawnApp(app.node, [app.main], appEnv(seeded.path, port, app.env), port);
  try {
    await waitFor200(`${server.base}/`, server);
    const url = `${server.base}/posts/${seeded.postSlug}`;
    await hammer('warm-up', url, 10, 1, server.child.pid!);
    const result = await hammer('post', url, 10, 5, server.child.pid!);
    return { ...result, rss: rssOf(server.child.pid!) };
  } finally {
    await server.stop();
  }
}
