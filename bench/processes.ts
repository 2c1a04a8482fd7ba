import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiled bench lives in .tmp/bench-build/bench/: the project root is three levels up. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST_ROOT = join(ROOT, 'dist');
export const MAIN_JS = join(DIST_ROOT, 'server/main.mjs');

/** A built checkout to measure: this one, or an older one for before/after figures. */
export interface App {
  dir: string;
  main: string;
  /** The Node binary that runs it (the image's Node 24 can be measured beside this machine's). */
  node: string;
  /** Extra environment, e.g. NODE_COMPILE_CACHE as the image sets it. */
  env: Record<string, string>;
}

/** The bundle if the checkout has one, else the tsc output (checkouts before the bundle). */
export function appAt(dir: string, node = process.execPath, env: Record<string, string> = {}): App {
  const bundle = join(dir, 'dist/server/main.mjs');
  return { dir, main: existsSync(bundle) ? bundle : join(dir, 'dist/apps/blog/src/main.js'), node, env };
}

export const BENCH_PASSWORD = 'bench admin password 1234';
const SESSION_SECRET = 'bench-session-secret-0123456789abcdefghijklmnop';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** NODE_OPTIONS as service.yaml sets them for the instance (heap sizing), so the bench measures that node. */
export function serviceNodeOptions(): string {
  const match = /- name: NODE_OPTIONS\s+value: '?([^'\n]*)'?/.exec(readFileSync(join(ROOT, 'service.yaml'), 'utf8'));
  if (!match) throw new Error('service.yaml sets no NODE_OPTIONS');
  return match[1].trim();
}

/** The app's environment as production runs it, on loopback. */
export function appEnv(databasePath: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: serviceNodeOptions(),
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    SITE_URL: `http://127.0.0.1:${port}`,
    DATABASE_PATH: databasePath,
    ADMIN_PASSWORD: BENCH_PASSWORD,
    SESSION_SECRET,
    LOG_LEVEL: 'error',
    DEMO_CONTENT: 'false',
    ...extra,
  };
}

export interface Running {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

export function spawnApp(command: string, args: string[], env: Record<string, string>, port: number): Running {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One GET with node:http (no keep-alive, no fetch start-up cost): the status, or null if refused. */
export function getStatus(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Polls every 2 ms (so the poll adds at most ~2 ms to a cold start) until the URL answers 200. */
export async function waitFor200(url: string, running: Running, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void running.exited.then(() => (exited = true));
  for (;;) {
    if ((await getStatus(url)) === 200) return;
    if (exited) throw new Error(`process exited before answering ${url}:\n${running.output()}`);
    if (performance.now() > deadline) throw new Error(`no 200 from ${url} in ${timeoutMs} ms:\n${running.output()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Boots the compiled app once on the file (which migrates it), then stops it cleanly. */
export async function runToHealthy(databasePath: string): Promise<void> {
  const port = await freePort();
  const app = spawnApp(process.execPath, [MAIN_JS], appEnv(databasePath, port), port);
  try {
    await waitFor200(`${app.base}/healthz`, app);
  } finally {
    await app.stop();
  }
}

/** Resident set size in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted from after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
