/**
 * The writer lease and start.sh against the tests' GCS stand-in (the real protocol, tokens from its
 * metadata route), before/after, interleaved so that a busy machine slows every variant alike:
 * `node .tmp/bench-build/bench/lease.js [--runs N] [--start-sh] label=DIR ...`
 *
 * Each round runs a bare `node -e 0` (what any Node process costs here, now) and each variant's
 * `writer-lease take` (start.sh's first step, its own process). With `--start-sh`, each round also
 * runs the cold-start floor and each variant's whole start.sh on an instance without a database:
 * lease, `litestream restore` of a 10 MB database from the stand-in (the generation the lease
 * names), Litestream + app, first 200 on `/` (issue 16's target: ≤ 3× the floor).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { startGcsStandIn } from '../apps/blog/test/support/gcs-stand-in.js';
import { coldStartFloor, measure, startShEnv } from './cold-start.js';
import { appAt, freePort, median, ROOT, spawnApp, waitFor200 } from './processes.js';
import { seedDatabase } from './seed.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '10' }, 'start-sh': { type: 'boolean', default: false } },
});
const variants = positionals.map((arg) => {
  const cut = arg.lastIndexOf('=');
  return { label: arg.slice(0, cut), app: appAt(arg.slice(cut + 1)) };
});
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');

const gcs = await startGcsStandIn({ buckets: ['bench'] });
const REPLICA_URL = 'gcs://bench/inkstone.db';
const work = join(ROOT, '.tmp', 'bench', 'lease');
mkdirSync(work, { recursive: true });

/** Wall time of one process from spawn to exit; throws on a non-zero exit. */
function timed(command: string, args: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args[0]}: exit ${code}\n${out}`)),
    );
  });
}

function table(title: string, times: Map<string, number[]>, base: string) {
  console.log(`\n${title}\n`);
  console.log(`| | median | min | max | × ${base} | runs |`);
  console.log('|---|---|---|---|---|---|');
  const floor = median(times.get(base)!);
  for (const [label, t] of times) {
    const m = median(t);
    console.log(
      `| ${label} | ${m.toFixed(0)} ms | ${Math.min(...t).toFixed(0)} ms | ${Math.max(...t).toFixed(0)} ms | ${(m / floor).toFixed(2)} | ${t.length} |`,
    );
  }
}

console.log(`Load average before: ${load()}`);
const BARE = 'bare node -e 0';
const takes = new Map<string, number[]>([[BARE, []], ...variants.map((v): [string, number[]] => [v.label, []])]);
const leaseEnv = { ...gcs.env, LITESTREAM_REPLICA_URL: REPLICA_URL };
for (let round = 0; round < Number(values.runs); round++) {
  takes.get(BARE)!.push(await timed(process.execPath, ['-e', '0'], {}));
  for (const v of variants) {
    takes
      .get(v.label)!
      .push(await timed(v.app.node, [join(v.app.dir, 'dist/apps/blog/src/cli/writer-lease.js'), 'take'], leaseEnv));
  }
}
table('`writer-lease take` (start.sh step 1), process start to exit', takes, BARE);
console.log(`\nLoad average after the lease runs: ${load()}`);

if (values['start-sh']) {
  // A 10 MB database in the stand-in: start.sh once (lease, Litestream's first snapshot, the app
  // publishing its generation in the lease), stopped cleanly.
  const seeded = await seedDatabase(join(work, 'padded.db'), 100, 10_000_000);
  const restored = join(work, 'restored.db');
  const clean = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(restored + suffix, { force: true });
    rmSync(join(work, '.restored.db-litestream'), { recursive: true, force: true });
  };
  const first = variants[0].app;
  const env = async (app: typeof first, databasePath: string, port: number) => ({
    ...startShEnv(app, databasePath, REPLICA_URL, port, await freePort()),
    ...gcs.env,
  });
  {
    const port = await freePort();
    const running = spawnApp('sh', [join(first.dir, 'scripts/start.sh')], await env(first, seeded.path, port), port);
    await waitFor200(`${running.base}/healthz`, running);
    // The app publishes its generation in the lease once Litestream's snapshot is up (before it listens).
    await running.stop();
  }
  const FLOOR = 'floor (Node + better-sqlite3 + query + listen + 200)';
  const starts = new Map<string, number[]>([
    [FLOOR, []],
    ...variants.map((v): [string, number[]] => [`start.sh: ${v.label}`, []]),
  ]);
  for (let round = 0; round < Number(values.runs); round++) {
    starts.get(FLOOR)!.push(...(await coldStartFloor(first, seeded.path, 1)).runs);
    for (const v of variants) {
      let startEnv: Record<string, string> = {};
      const result = await measure(
        v.label,
        1,
        async () => {
          clean();
          startEnv = await env(v.app, restored, 0);
        },
        (port) =>
          spawnApp(
            'sh',
            [join(v.app.dir, 'scripts/start.sh')],
            { ...startEnv, PORT: String(port), SITE_URL: `http://127.0.0.1:${port}` },
            port,
          ),
      );
      starts.get(`start.sh: ${v.label}`)!.push(...result.runs);
    }
  }
  table('start.sh, no local database: lease + restore of 10 MB from the stand-in + Litestream + app → first 200', starts, FLOOR);
  console.log(`\nObjects in the bucket at the end: ${gcs.objects('bench').size}`);
}
const unexpected = gcs.unexpected((r) => r.status === 404 && r.method === 'GET');
if (unexpected.length) console.log(`\nStand-in: unexpected requests:\n${unexpected.map((r) => JSON.stringify(r)).join('\n')}`);
console.log(`Load average after: ${load()}`);
await gcs.stop();
