import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One HTTP(S) request with node:http, its answer read whole: bounded in time (the whole exchange
 * ends by `deadline`, a Date.now() value) and in size (past `maxBytes` a RangeError). Redirects
 * are not followed. Why not `fetch`: on Node 20 the first `fetch` loads undici, which cost a
 * process 0.3–0.4 s here on a loaded machine, and this runs on every cold start (the writer lease).
 * Network errors and the timeout reject with node's errors (a timeout: name "TimeoutError").
 */
export function httpCall(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; deadline: number; maxBytes: number },
): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...options.headers, ...(options.body ? { 'Content-Length': String(options.body.length) } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(target, { method: options.method ?? 'GET', headers }, (res) => {
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > options.maxBytes) {
        req.destroy(new RangeError(`${target.pathname}: answer of ${declared} bytes, more than the ${options.maxBytes} allowed`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          req.destroy(new RangeError(`${target.pathname}: answer longer than the ${options.maxBytes} bytes allowed`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`${target.pathname}: no answer in time`), { name: 'TimeoutError' })),
      Math.max(1, options.deadline - Date.now()),
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(options.body);
  });
}
