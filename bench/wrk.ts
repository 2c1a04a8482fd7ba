import { spawn, spawnSync } from 'node:child_process';

/**
 * wrk (C, Debian's `wrk`) for every throughput figure: autocannon runs on Node's one core and
 * tops out near 16k req/s here, below what a bare node:http server answers, so ratios against
 * node:http measured with it describe autocannon. WRK_PATH names another binary.
 */
export const WRK = process.env.WRK_PATH ?? 'wrk';
export const WRK_INSTALL = 'apt-get install -y wrk';

export interface WrkResult {
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  requests: number;
  /** Answers ≥ 400 and socket errors (connect, read, write, timeout). */
  failures: number;
}

/** Fails (never skips) when wrk is missing, naming the command that installs it. */
export function requireWrk(): void {
  const probe = spawnSync(WRK, ['-v'], { encoding: 'utf8' });
  if (probe.error || !/wrk/i.test(`${probe.stdout}${probe.stderr}`)) {
    throw new Error(
      `wrk is missing (${WRK}): the throughput figures are measured with it. Install it with:\n  ${WRK_INSTALL}\n` +
        '(or point WRK_PATH at a wrk binary)',
    );
  }
}

/** For the bench's entry points: the message and exit 1, without a stack trace. */
export function exitUnlessWrk(): void {
  try {
    requireWrk();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}

/** wrk against one URL: keep-alive, `connections` connections on up to two threads, latency percentiles. */
export function runWrk(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<WrkResult> {
  requireWrk();
  const args = [`-t${Math.min(2, connections)}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try {
        resolve(parseWrk(out));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

/** wrk's text report → figures (wrk has no machine-readable output without a Lua script). */
export function parseWrk(out: string): WrkResult {
  const number = (re: RegExp, what: string) => {
    const match = re.exec(out);
    if (!match) throw new Error(`wrk's report has no ${what}:\n${out}`);
    return match;
  };
  const rps = Number(number(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]);
  const requests = Number(number(/^\s*(\d+) requests in /m, 'request count')[1]);
  const p50 = toMs(number(/^\s*50%\s+([\d.]+)(us|ms|s)\s*$/m, '50% latency'));
  const p99 = toMs(number(/^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m, '99% latency'));
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const failures = (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { rps, p50, p99, requests, failures };
}

function toMs([, value, unit]: RegExpExecArray): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}
