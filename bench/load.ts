import { Agent, request } from 'node:http';

import { cpuSecondsOf, freePort, median, type Running, spawnApp, waitFor200 } from './processes.js';
import { runWrk } from './wrk.js';

export interface LoadResult {
  route: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Answers ≥ 400 and socket errors: must be 0 for a figure to count. */
  failures: number;
  /** The server's CPU time per request in ms (user + system, from /proc). */
  cpuMsPerRequest: number;
}

/** wrk against one URL for `seconds`, keep-alive, loopback; `headers` e.g. an Accept-Encoding. */
export async function hammer(
  route: string,
  url: string,
  connections: number,
  seconds: number,
  pid: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const cpu0 = cpuSecondsOf(pid);
  const result = await runWrk(url, connections, seconds, headers);
  const cpu = cpuSecondsOf(pid) - cpu0;
  return {
    route,
    connections,
    ...result,
    cpuMsPerRequest: result.requests ? (cpu * 1000) / result.requests : NaN,
  };
}

/**
 * First renders: every path requested once, `concurrency` at a time, on a cache that has never
 * seen them. Latency per request in ms.
 */
export async function firstRenders(
  base: string,
  paths: string[],
  concurrency: number,
): Promise<{ p50: number; p99: number; n: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const queue = [...paths];
  const one = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      request(`${base}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
          latencies.push(performance.now() - t0);
          resolve();
        });
      })
        .on('error', reject)
        .end();
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) await one(path);
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    p50: median(latencies),
    p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
    n: latencies.length,
  };
}

/** The ceiling: a bare node:http server (on the app's Node) answering every request with the same bytes. */
const CEILING_SERVER = `
const http = require('node:http');
const body = Buffer.from(process.env.BODY_B64, 'base64');
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': process.env.CONTENT_TYPE, 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

export async function startCeiling(body: Buffer, contentType: string, node = process.execPath): Promise<Running> {
  const port = await freePort();
  const child = spawnApp(
    node,
    ['-e', CEILING_SERVER],
    { PATH: process.env.PATH ?? '', PORT: String(port), BODY_B64: body.toString('base64'), CONTENT_TYPE: contentType },
    port,
  );
  await waitFor200(`${child.base}/`, child);
  return child;
}
