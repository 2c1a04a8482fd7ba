import { type ChildProcess, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { isUnauthenticatedGoClient, type RecordedRequest } from './gcs-stand-in.js';
import { assertBuilt, freePort, ROOT, spawnCaptured, waitForHttp } from './process.js';

export const LITESTREAM_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@flydotio/litestream-linux-x64/package.json')),
  'litestream',
);
export const START_SH = join(ROOT, 'scripts', 'start.sh');
export const ADMIN_PASSWORD = 'durable admin password';

export interface Instance {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs scripts/start.sh as the image does (NODE_ENV=production, Litestream in front of the
 * compiled app), with paths pointed at this checkout and a replica of the test's choosing.
 */
export async function startInstance(opts: {
  databasePath: string;
  replicaUrl?: string;
  env?: Record<string, string>;
  /** How long the instance may take to answer /healthz: it listens once its generation is published in the lease (a slow bucket makes starts slow). */
  readyTimeoutMs?: number;
}): Promise<Instance> {
  assertBuilt();
  const [port, metricsPort] = [await freePort(), await freePort()];
  const { child, output, exited } = spawnCaptured('sh', [START_SH], {
    NODE_ENV: 'production',
    APP_DIR: ROOT,
    NODE_BIN: process.execPath,
    LITESTREAM_BIN,
    LITESTREAM_CONFIG: join(ROOT, 'litestream.yml'),
    LITESTREAM_ADDR: `127.0.0.1:${metricsPort}`,
    DATABASE_PATH: opts.databasePath,
    ...(opts.replicaUrl ? { LITESTREAM_REPLICA_URL: opts.replicaUrl } : {}),
    PORT: String(port),
    HOST: '127.0.0.1',
    SITE_URL: `http://127.0.0.1:${port}`,
    ADMIN_PASSWORD,
    SESSION_SECRET: 'a-session-secret-for-the-durability-tests-0123456789',
    LOG_LEVEL: 'warn',
    DEMO_CONTENT: 'false',
    // A loaded CI machine (2 cores, parallel suites) can take Litestream past the production bound of
    // 5 s; tests that want "pending" set their own bound.
    REPLICATION_WAIT_MS: '20000',
    ...opts.env,
  });
  const instance = { child, port, base: `http://127.0.0.1:${port}`, output, exited };
  const signal = child.kill.bind(child);
  child.kill = (sig) => {
    recordStopOf(instance.exited);
    return signal(sig);
  };
  const up = await Promise.race([
    waitForHttp(`${instance.base}/healthz`, opts.readyTimeoutMs ?? 40_000).then(() => true),
    exited.then(() => false),
  ]).catch((err: unknown) => {
    // Never returned, so no spec can stop it: a failed start must not outlive the suite (CI once
    // found such an instance still replicating 17 minutes later).
    killHard(instance);
    throw new Error(`instance did not answer /healthz in time:\n${output()}`, { cause: err });
  });
  if (!up) throw new Error(`instance exited before listening:\n${output()}`);
  return instance;
}

/**
 * SIGKILL the whole instance at once, as a lost VM would: Litestream (which start.sh exec'd) and
 * the app it runs. (SIGTERM goes to Litestream only: it forwards it, as Cloud Run's would.)
 */
export function killHard(instance: Instance): void {
  recordStopOf(instance.exited);
  const pid = instance.child.pid!;
  try {
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
      .toString()
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const child of children) process.kill(Number(child), 'SIGKILL');
  } catch {
    // no children left
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** From the first signal an instance was sent until it exited (to when still running). */
// A socket's close can be seen just after the process that held it is gone.
const STOP_GRACE_MS = 1000;
const stops: { from: number; to: () => number }[] = [];

/** A stop starting now and ending when `exited` resolves (the local Cloud Run's instances record theirs too). */
export function recordStopOf(exited: Promise<unknown>): void {
  let exitedAt: number | undefined;
  void exited.then(() => (exitedAt = Date.now()));
  stops.push({ from: Date.now(), to: () => exitedAt ?? Date.now() });
}

/**
 * A Litestream upload cut while its instance was stopping: Litestream cancels the upload in flight
 * when it shuts down (or is killed), and its final sync sends the same segment again from the
 * position it last confirmed. A reset the stopping client made, not an answer the bucket gave.
 */
export function cutByAStop(r: RecordedRequest): boolean {
  return (
    r.status === -1 &&
    r.endedAt !== undefined &&
    isUnauthenticatedGoClient(r.headers) &&
    stops.some((stop) => r.endedAt! >= stop.from && r.endedAt! <= stop.to() + STOP_GRACE_MS)
  );
}
