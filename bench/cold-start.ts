import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { type App, appEnv, cpuSecondsOf, freePort, median, type Running, spawnApp, waitFor200 } from './processes.js';

export const LITESTREAM_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@flydotio/litestream-linux-x64/package.json')),
  'litestream',
);

export interface ColdStart {
  label: string;
  runs: number[];
  median: number;
  /**
   * CPU milliseconds (user + system) the started process had used at its first 200, per run: the
   * figure a shared machine disturbs least (wall time also counts the waits for a core).
   */
  cpu: number[];
}

/** Process start → first 200 on `/`, `runs` times; the database is prepared before the clock starts. */
export async function measure(
  label: string,
  runs: number,
  prepare: (i: number) => void | Promise<void>,
  start: (port: number) => Running,
): Promise<ColdStart> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare(i);
    const port = await freePort();
    const t0 = performance.now();
    const app = start(port);
    try {
      await waitFor200(`${app.base}/`, app);
      times.push(performance.now() - t0);
      cpu.push(cpuSecondsOf(app.child.pid!) * 1000);
    } finally {
      await app.stop();
    }
  }
  return { label, runs: times, median: median(times), cpu };
}

export function coldStartExisting(app: App, databasePath: string, runs: number): Promise<ColdStart> {
  return measure(
    'compiled app, existing database',
    runs,
    () => undefined,
    (port) => spawnApp(app.node, [app.main], appEnv(databasePath, port, app.env), port),
  );
}

/**
 * The floor of a cold start on this machine, this Node and this database: Node starts, opens the
 * file with better-sqlite3 (the app's driver, from the measured checkout), runs one query,
 * listens, and answers the first request with the query's rows. What the app adds above this is
 * the app's own boot.
 */
const FLOOR_SERVER = `
const Database = require('node:module').createRequire(process.env.APP_DIR + '/package.json')('better-sqlite3');
const db = new Database(process.env.DATABASE_PATH);
db.pragma('journal_mode = WAL');
const body = JSON.stringify(db.prepare('SELECT id, slug, title FROM post ORDER BY id DESC LIMIT 10').all());
require('node:http')
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
  })
  .listen(Number(process.env.PORT), process.env.HOST);
`;

export const FLOOR_LABEL = 'floor: Node + better-sqlite3 open + one query + listen + first 200';

export function coldStartFloor(app: App, databasePath: string, runs: number): Promise<ColdStart> {
  return measure(
    FLOOR_LABEL,
    runs,
    () => undefined,
    (port) => spawnApp(app.node, ['-e', FLOOR_SERVER], appEnv(databasePath, port, { ...app.env, APP_DIR: app.dir }), port),
  );
}

export function coldStartFresh(app: App, dir: string, runs: number): Promise<ColdStart> {
  let path = '';
  return measure(
    'compiled app, new database (migrations + welcome post)',
    runs,
    (i) => {
      path = join(dir, `fresh-${i}.db`);
      rmSync(path, { force: true });
    },
    (port) => spawnApp(app.node, [app.main], appEnv(path, port, { ...app.env, DEMO_CONTENT: 'true' }), port),
  );
}

export function startShEnv(
  app: App,
  databasePath: string,
  replicaUrl: string,
  port: number,
  metricsPort: number,
): Record<string, string> {
  return appEnv(databasePath, port, {
    APP_DIR: app.dir,
    ...app.env,
    NODE_BIN: app.node,
    LITESTREAM_BIN,
    LITESTREAM_CONFIG: join(app.dir, 'litestream.yml'),
    LITESTREAM_ADDR: `127.0.0.1:${metricsPort}`,
    LITESTREAM_REPLICA_URL: replicaUrl,
  });
}

/**
 * Makes a file:// replica of the database by running start.sh (Litestream in front of the app)
 * until Litestream has shipped its snapshot.
 */
export async function makeReplica(app: App, databasePath: string, replicaDir: string): Promise<void> {
  rmSync(replicaDir, { recursive: true, force: true });
  mkdirSync(replicaDir, { recursive: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = startShEnv(app, databasePath, `file://${replicaDir}`, port, metricsPort);
  const running = spawnApp('sh', [join(app.dir, 'scripts/start.sh')], env, port);
  try {
    await waitFor200(`${running.base}/healthz`, running);
    // The first sync ships the snapshot; wait for Litestream's own count of syncs to move.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      const synced = /litestream_sync_count\{[^}]*\} (\d+)/.exec(metrics);
      if (synced && Number(synced[1]) >= 2) break;
      if (Date.now() > deadline) throw new Error('Litestream did not sync the replica in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await running.stop();
  }
}

/** start.sh on an instance with no database: bounded restore from the replica, then Litestream + app. */
export function coldStartRestore(app: App, label: string, replicaDir: string, workDir: string, runs: number): Promise<ColdStart> {
  const databasePath = join(workDir, 'restored.db');
  const replicaCopy = join(workDir, 'replica');
  let metricsPort = 0;
  return measure(
    label,
    runs,
    async () => {
      // A pristine replica each run: every start.sh run adds a generation with a full snapshot.
      rmSync(replicaCopy, { recursive: true, force: true });
      cpSync(replicaDir, replicaCopy, { recursive: true });
      for (const suffix of ['', '-wal', '-shm']) rmSync(databasePath + suffix, { force: true });
      rmSync(join(workDir, '.restored.db-litestream'), { recursive: true, force: true });
      metricsPort = await freePort();
    },
    (port) =>
      spawnApp(
        'sh',
        [join(app.dir, 'scripts/start.sh')],
        startShEnv(app, databasePath, `file://${replicaCopy}`, port, metricsPort),
        port,
      ),
  );
}
