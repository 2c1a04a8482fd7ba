import type { Server } from 'node:http';

import type { NextFunction, Request, Response } from 'express';

/**
 * Graceful shutdown for HTTP: once draining, every response closes its connection, idle
 * keep-alive connections are closed at once, and busy ones are cut after a grace period.
 * Without this, a client that keeps its connection busy (a browser, a load test) keeps the
 * server from ever finishing its close.
 */
let draining = false;

export function drainingMiddleware(_req: Request, res: Response, next: NextFunction): void {
  if (draining) res.setHeader('Connection', 'close');
  next();
}

/** For responses written before Express (the page cache's fast path): the same rule. */
export function isDraining(): boolean {
  return draining;
}

export function startDraining(server: Server, graceMs: number): void {
  draining = true;
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), graceMs).unref();
}
