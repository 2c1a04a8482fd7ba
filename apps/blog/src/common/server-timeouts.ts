import type { Server } from 'node:http';

/** Bounds on how long a client may hold a connection without finishing its request. */
export const SERVER_TIMEOUTS = Object.freeze({
  /** All request headers must arrive within this (slowloris: headers sent byte by byte). */
  headersMs: 10_000,
  /** The whole request, body included: a 10 MB upload needs ~170 KB/s. */
  requestMs: 120_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: 5_000,
  /** How often Node checks the two bounds above; the real bound is the timeout plus up to this. */
  checkEveryMs: 1_000,
});

/**
 * Applied to the HTTP server before it listens (Node reads the checking interval at listen), by
 * createApp, so main.ts and the tests run with the same bounds.
 */
export function applyServerTimeouts(server: Server): void {
  server.headersTimeout = SERVER_TIMEOUTS.headersMs;
  server.requestTimeout = SERVER_TIMEOUTS.requestMs;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveMs;
  // Not in @types/node 20's Server typings as a writable field, but read by Node at listen.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = SERVER_TIMEOUTS.checkEveryMs;
}
