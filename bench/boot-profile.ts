/**
 * Where a cold start's time goes: `node .tmp/bench-build/bench/boot-profile.js [--app DIR] [--node PATH] [--runs N]`.
 * Starts the built app (best built with `node dist/apps/blog/src/build-tools/bundle.js --readable`,
 * so names and module markers survive) under `--cpu-prof` on the 100-post bench blog, stops it
 * once `/` has answered 200, and sums the profile's samples by package (from the bundle's
 * `// node_modules/...` module markers) and by a few boot phases (inclusive time).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { appAt, appEnv, freePort, median, ROOT, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase } from './seed.js';

const { values } = parseArgs({
  options: { app: { type: 'string' }, node: { type: 'string' }, runs: { type: 'string', default: '3' } },
});
const app = appAt(values.app ?? ROOT, values.node);
const work = join(ROOT, '.tmp', 'bench');
mkdirSync(work, { recursive: true });
const seeded = await seedDatabase(join(work, 'p100.db'), 100);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Inclusive-time phases: a sample counts for a phase when one of its frames has this name. */
const PHASES: [string, RegExp][] = [
  ['reading and decoding module sources', /^(decode|readFileSync|read|openFileHandle|fstat)$/],
  [
    'compiling modules (V8: ES modules, internal and CommonJS loaders)',
    /^(compileSourceTextModule|compileForInternalLoader|wrapSafe|compileFunction)$/,
  ],
  ['module evaluation (top-level code of the bundle and its chunks)', /^$/],
  ["bundled CommonJS modules' bodies (esbuild's __commonJS wrapper)", /^__require2$/],
  ['NestFactory.create (scan, DI, instances)', /^create$/],
  ['Nest: routes (registerRouter / RoutesResolver.resolve)', /^(registerRouter|resolve)$/],
  ['MikroORM.init (discovery, driver)', /^init$/],
  ['garbage collector', /^\(garbage collector\)$/],
];

const byPackage = new Map<string, number[]>();
const byPhase = new Map<string, number[]>();
const totals: number[] = [];
const starts: number[] = [];
for (let run = 0; run < Number(values.runs); run++) {
  const dir = join(work, `cpu-prof-${run}`);
  rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  const t0 = performance.now();
  const server = spawnApp(
    app.node,
    ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', dir, app.main],
    appEnv(seeded.path, port, app.env),
    port,
  );
  await waitFor200(`${server.base}/`, server);
  starts.push(performance.now() - t0);
  await server.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const { packages, phases, total } = analyse(profile);
  totals.push(total);
  for (const [k, v] of packages) byPackage.set(k, [...(byPackage.get(k) ?? []), v]);
  for (const [k, v] of phases) byPhase.set(k, [...(byPhase.get(k) ?? []), v]);
}

console.log(`App: ${app.main} on ${app.node}; ${values.runs} runs; cold start median ${median(starts).toFixed(0)} ms`);
console.log(`Profiled CPU until the first 200 (median): ${median(totals).toFixed(0)} ms\n`);
console.log('| self time by package (median ms) | ms |');
console.log('|---|---|');
for (const [k, v] of [...byPackage].sort((a, b) => median(b[1]) - median(a[1])).slice(0, 20))
  console.log(`| ${k} | ${median(v).toFixed(0)} |`);
console.log('\n| phase (inclusive, median ms) | ms |');
console.log('|---|---|');
for (const [k, v] of byPhase) console.log(`| ${k} | ${median(v).toFixed(0)} |`);

/** Samples up to the first request's end are the boot; the rest (the stop) is left out by time. */
function analyse(profile: Profile): { packages: Map<string, number>; phases: Map<string, number>; total: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const markers = new Map<string, { line: number; pkg: string }[]>();
  const packageOf = (url: string, line: number): string => {
    if (!url) return '(native / V8)';
    if (url.startsWith('node:')) return 'node: (Node core)';
    if (!url.startsWith('file://')) return url;
    if (!markers.has(url)) markers.set(url, moduleMarkers(fileURLToPath(url)));
    const list = markers.get(url)!;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].line <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 ? list[found].pkg : url.replace(/^.*\//, '');
  };
  const packages = new Map<string, number>();
  const phases = new Map<string, number>();
  let total = 0;
  // The last ~10% of the profile is the stop (SIGTERM, close): cut at the last sample of a listen.
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = nodes.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    total += ms;
    const pkg = packageOf(leaf.callFrame.url, leaf.callFrame.lineNumber);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id)!.callFrame;
      for (const [phase, re] of PHASES) {
        if (seen.has(phase)) continue;
        const evaluating =
          phase.startsWith('module evaluation') &&
          frame.functionName === '' &&
          frame.url.startsWith('file://') &&
          frame.lineNumber === 0;
        if (evaluating || (re.source !== '^$' && re.test(frame.functionName))) seen.add(phase);
      }
    }
    for (const phase of seen) phases.set(phase, (phases.get(phase) ?? 0) + ms);
  }
  return { packages, phases, total };
}

/** esbuild's readable output marks each module with a `// path` comment line. */
function moduleMarkers(file: string): { line: number; pkg: string }[] {
  const out: { line: number; pkg: string }[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ (?:\.\.\/)*(node_modules\/((?:@[^/]+\/)?[^/]+)|(?:dist\/)?(apps|libs)\/([^/]+))/.exec(text);
      if (m) out.push({ line, pkg: m[2] ?? `app: ${m[3]}/${m[4]}` });
    });
  return out;
}
