/**
 * What the app's memory holds after the bench's load:
 * `node .tmp/bench-build/bench/memory.js [--posts N] [--seconds S] [label=DIR[,NODE_OPTION...]] ...`
 *
 * For each variant: the built app on a seeded blog (started with `--heapsnapshot-signal`), RSS
 * after start; then what `npm run bench` does to it (first renders of up to 500 post pages, wrk on
 * the home, post, tag, feed and search routes, identity and brotli, 10 and 50 connections); RSS
 * after; then a heap snapshot (SIGUSR2), summed by constructor, so that what grows has a name.
 * The app gets service.yaml's NODE_OPTIONS, as everywhere in the bench. Extras after the directory
 * (comma-separated) try flags on the same build: `--…` are Node options, `NAME=VALUE` environment
 * variables (e.g. `NODE_OPTIONS=--max-old-space-size=256` for V8's default young generation).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { firstRenders, hammer, type LoadResult } from './load.js';
import { appAt, appEnv, freePort, median, ROOT, rssOf, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase } from './seed.js';
import { exitUnlessWrk } from './wrk.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { posts: { type: 'string', default: '100' }, seconds: { type: 'string', default: '3' } },
});
exitUnlessWrk();
const work = join(ROOT, '.tmp', 'bench', 'memory');
mkdirSync(work, { recursive: true });
const seeded = await seedDatabase(join(work, `p${values.posts}.db`), Number(values.posts));
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size by "type: constructor" over the whole heap, largest first. */
function bySelfSize(file: string): { total: number; top: [string, number][] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const types = snap.snapshot.meta.node_types[0];
  const sums = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]];
    const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]] : '';
    const key = `${type}${name ? `: ${name}` : ''}`;
    const size = snap.nodes[i + sizeAt];
    total += size;
    sums.set(key, (sums.get(key) ?? 0) + size);
  }
  return { total, top: [...sums].sort((a, b) => b[1] - a[1]).slice(0, 15) };
}

for (const arg of positionals.length ? positionals : [`this checkout=${ROOT}`]) {
  const cut = arg.indexOf('=');
  const [dir, ...extras] = arg.slice(cut + 1).split(',');
  const nodeOptions = extras.filter((e) => e.startsWith('--'));
  const extraEnv = Object.fromEntries(
    extras.filter((e) => !e.startsWith('--')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  const label = arg.slice(0, cut);
  const app = appAt(dir);
  const diag = join(work, label.replace(/[^\w.-]+/g, '-'));
  rmSync(diag, { recursive: true, force: true });
  mkdirSync(diag, { recursive: true });
  const port = await freePort();
  const server = spawnApp(
    app.node,
    ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${diag}`, ...nodeOptions, app.main],
    appEnv(seeded.path, port, { ...app.env, ...extraEnv }),
    port,
  );
  try {
    await waitFor200(`${server.base}/`, server);
    const pid = server.child.pid!;
    const rssStart = rssOf(pid);
    const slugs = Array.from({ length: Math.min(seeded.posts, 500) }, (_, i) => `/posts/post-${seeded.posts - i}`);
    await firstRenders(server.base, slugs.slice(0, slugs.length >> 1), 1);
    await firstRenders(server.base, slugs.slice(slugs.length >> 1), 10);
    const rssRendered = rssOf(pid);
    const br = { 'Accept-Encoding': 'gzip, deflate, br' };
    const loads: LoadResult[] = [];
    for (const [path, headers] of [
      ['/', {}],
      [`/posts/${seeded.postSlug}`, {}],
      [`/posts/${seeded.postSlug}`, br],
      [`/tags/${seeded.tagSlug}`, {}],
      ['/feed.xml', {}],
      ['/feed.xml', br],
      [`/search?q=${seeded.searchTerm}`, {}],
    ] as [string, Record<string, string>][]) {
      for (const connections of [10, 50]) {
        loads.push(await hammer(path, `${server.base}${path}`, connections, Number(values.seconds), pid, headers));
      }
    }
    const rssAfter = rssOf(pid);
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN) * 1024;
    const anonymous = kb('Anonymous');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
    server.child.kill('SIGUSR2');
    let file: string | undefined;
    let lastSize = -1;
    for (let i = 0; i < 120 && !file; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const found = readdirSync(diag).find((f) => f.endsWith('.heapsnapshot'));
      if (!found) continue;
      // Written as it is walked: done once its size stops moving.
      const size = statSync(join(diag, found)).size;
      if (size > 0 && size === lastSize) file = join(diag, found);
      lastSize = size;
    }
    if (!file) throw new Error('no heap snapshot within 60 s');
    const heap = bySelfSize(file);
    const post10 = loads.find((l) => l.route === `/posts/${seeded.postSlug}` && l.connections === 10)!;
    const requests = loads.reduce((n, l) => n + l.requests, 0);
    const failures = loads.reduce((n, l) => n + l.failures, 0);
    console.log(`\n## ${label} (${seeded.posts} posts; load average ${loadavg()[0].toFixed(1)})\n`);
    console.log(
      `RSS after start ${mb(rssStart)}, after first renders ${mb(rssRendered)}, after the load ${mb(rssAfter)} ` +
        `(anonymous ${mb(anonymous)}, file-backed ${mb(rssAfter - anonymous)}), peak ${mb(peak)}, ` +
        `live JS heap in the snapshot ${mb(heap.total)}; ` +
        `post page at 10 connections ${Math.round(post10.rps)} req/s, ${post10.cpuMsPerRequest.toFixed(3)} ms CPU per request; ` +
        `all routes: ${requests} requests, ${failures} failed, median CPU per request ${median(loads.map((l) => l.cpuMsPerRequest)).toFixed(3)} ms\n`,
    );
    console.log('| heap, by constructor (self size) | MB |');
    console.log('|---|---|');
    for (const [name, size] of heap.top)
      console.log(`| ${name.replace(/\|/g, '\\|').slice(0, 80)} | ${(size / 1048576).toFixed(1)} |`);
  } finally {
    await server.stop();
  }
}
