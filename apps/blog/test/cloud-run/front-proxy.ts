import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';

import type { Instance } from './instance.js';
import type { Meter } from './meter.js';

/** Cloud Run refuses HTTP/1 requests whose body is over 32 MiB. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

// Google's front end answers an oversized request with this page (status 413), before any instance sees it.
const TOO_LARGE_PAGE =
  '<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 413 (Request Entity Too Large)!!1</title>' +
  '<p><b>413.</b> <ins>That’s an error.</ins><p>Your client issued a request that was too large. <ins>That’s all we know.</ins>\n';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The front end of the local Cloud Run: HTTP/1.1 on loopback, forwarding to the serving instance.
 * Request-based billing: the instance's freezer cgroup is thawed while at least one request is in
 * flight and frozen otherwise — except while it starts and while it shuts down, when it has CPU.
 */
export class FrontProxy {
  private server: Server | null = null;
  private readonly inFlight = new Map<Instance, number>();
  /** Freeze/thaw transitions, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  /** Set to stop the proxy from freezing (a test that wants the CPU always on). */
  freezeIdle = true;

  constructor(
    private readonly route: () => Promise<Instance>,
    private readonly meter: Meter,
    private readonly timeoutSeconds: number,
  ) {}

  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    // Google's front end keeps an idle client connection 610 s (the load balancers' documented HTTP
    // keepalive timeout). 5 s here reset a client that reused its connection after a busy moment.
    server.keepAliveTimeout = 610_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  /** Brings an instance to the CPU state the billing model gives it now (after ready, after a request). */
  settle(instance: Instance): Promise<void> {
    this.chain = this.chain.then(async () => {
      const busy = (this.inFlight.get(instance) ?? 0) > 0;
      try {
        if (instance.state !== 'ready' || busy || !this.freezeIdle) {
          if (instance.state !== 'exited' && instance.state !== 'failed') instance.cgroups.thaw();
        } else if (!instance.cgroups.frozen()) {
          await instance.cgroups.freeze();
        }
      } catch (err) {
        // The instance went away under us (its cgroups removed): nothing left to freeze.
        if (instance.state === 'ready') throw err;
      }
    });
    return this.chain;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.meter.requests++;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BYTES) return this.tooLarge(req, res);

    let instance: Instance;
    try {
      instance = await this.route();
    } catch (err) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`Service Unavailable: ${(err as Error).message}\n`);
      return;
    }
    this.inFlight.set(instance, (this.inFlight.get(instance) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight.set(instance, (this.inFlight.get(instance) ?? 1) - 1);
      void this.settle(instance).catch(() => undefined);
    };
    res.on('close', release);
    await this.settle(instance).catch(() => undefined);

    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-proto'] = 'http';
    const upstream = httpRequest({ host: '127.0.0.1', port: instance.port, method: req.method, path: req.url, headers });
    const timer = setTimeout(() => {
      upstream.destroy();
      if (!res.headersSent) res.writeHead(504, { 'Content-Type': 'text/plain' }).end('upstream request timeout\n');
      else res.destroy();
    }, this.timeoutSeconds * 1000);
    res.on('close', () => clearTimeout(timer));
    upstream.on('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(up.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
      res.writeHead(up.statusCode ?? 502, out);
      const kind = this.meter.egressKind(String(up.headers['content-type'] ?? ''));
      up.on('data', (chunk: Buffer) => this.meter.addEgress(kind, chunk.length));
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (process.env.CLOUD_RUN_LOG) process.stdout.write(`front proxy: ${req.method} ${req.url}: upstream ${err.message}\n`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`upstream error: ${err.message}\n`);
      else res.destroy();
    });
    // A chunked body has no declared length: count it as it passes, and refuse it at the limit.
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BYTES) {
        upstream.destroy();
        if (!res.headersSent) this.tooLarge(req, res);
        else res.destroy();
      }
    });
    req.pipe(upstream);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    this.meter.refusedTooLarge++;
    res.writeHead(413, { 'Content-Type': 'text/html; charset=UTF-8', Connection: 'close' }).end(TOO_LARGE_PAGE);
    // The rest of the body is not read: the connection closes, as Google's front end does.
    req.unpipe();
    req.resume();
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.chain.catch(() => undefined);
  }
}
