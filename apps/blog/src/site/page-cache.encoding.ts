import type { IncomingMessage } from 'node:http';

import accepts from 'accepts';

import type { Encoding } from './page-cache.service.js';

/**
 * The representation of a cached page a client gets: brotli when it takes it (smaller than gzip
 * at the same cost, and made once), then gzip, else the plain bytes. One rule for the page cache's
 * middleware and its fast path; `accepts` is what Express's req.acceptsEncodings runs.
 */
export function preferredEncoding(req: IncomingMessage): Encoding {
  if (!req.headers['accept-encoding']) return 'identity';
  const accept = accepts(req);
  if (accept.encodings('br')) return 'br';
  if (accept.encodings('gzip')) return 'gzip';
  return 'identity';
}
