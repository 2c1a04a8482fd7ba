import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { NestExpressApplication } from '@nestjs/platform-express';
import type request from 'supertest';

/**
 * A GET with the path sent exactly as written: supertest (through WHATWG URL) would resolve
 * `..` segments before they reach the app.
 */
export async function rawGet(app: NestExpressApplication, path: string): Promise<{ status: number; body: string }> {
  const server = createServer(app.getHttpAdapter().getInstance());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Reads any response body as raw bytes (supertest's `.buffer(true).parse(bytes)`). */
export const bytes = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

export interface ReadToTheEnd {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Whether the body ended as promised; false when the server cut the connection. */
  complete: boolean;
  ms: number;
}

/**
 * A GET read until the server ends or cuts the connection, over a fresh connection (no keep-alive
 * pool to hide a response that never ends). Rejects after `timeoutMs`: a hung connection is a failure.
 */
export async function readToTheEnd(app: NestExpressApplication, path: string, timeoutMs = 10_000): Promise<ReadToTheEnd> {
  const server = createServer(app.getHttpAdapter().getInstance());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = Date.now();
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined); // a cut connection: reported by `complete`
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            complete: res.complete,
            ms: Date.now() - started,
          }),
        );
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy();
        reject(new Error(`GET ${path}: no end after ${timeoutMs} ms (a hung connection)`));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
