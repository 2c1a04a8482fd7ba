import { Agent, request } from 'node:http';

import autocannon from 'autocannon';

import { cpuSecondsOf, freePort, median, type Running, spawnApp, waitFor200 } from './processes.js';

export interface LoadResult {
  route: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers and socket errors: must be 0 for a figure to count. */
  failures: number;
  /** CPU seconds of the server per 1,000 requests (user + system, from /proc). */
  cpuMsPerRequest: number;
}

/** autocannon against one URL for `seconds`, keep-alive, loopback. */
export async function hammer(route: string, url: string, connections: number, seconds: number, pid: number): Promise<LoadResult> {
  const cpu0 = cpuSecondsOf(pid);
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  const cpu = cpuSecondsOf(pid) - cpu0;
  const requests = result.requests.total;
  return {
    route,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: requests ? (cpu * 1000) / requests : NaN,
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

/** The ceiling: a bare node:http server answering every request with the same bytes. */
const CEILING_SERVER = `
const http = require('node:http');
const body = Buffer.from(process.env.BODY_B64, 'base64');
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': process.env.CONTENT_TYPE, 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

export async function startCeiling(body: Buffer, contentType: string): Promise<Running> {
  const port = await freePort();
  const child = spawnApp(
    process.execPath,
    ['-e', CEILING_SERVER],
    { PATH: process.env.PATH ?? '', PORT: String(port), BODY_B64: body.toString('base64'), CONTENT_TYPE: contentType },
    port,
  );
  await waitFor200(`${child.base}/`, child);
  return child;
}
