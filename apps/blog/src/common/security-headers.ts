import type { OutgoingHttpHeaders } from 'node:http';

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Response headers that make injected markup inert and keep the admin out of frames.
 * The CSP has no 'unsafe-inline' for scripts or styles: the views carry no inline script, no
 * style="" and no on* handler (the JSON-LD block is data, which CSP does not execute), and
 * post tables are aligned with classes. Images may come from any https: origin because
 * Markdown may point at them; nothing else loads from elsewhere.
 */
export function securityHeaders(production: boolean): RequestHandler {
  const site = helmetFor(production, 'strict-origin-when-cross-origin', 'cross-origin');
  const admin = helmetFor(production, 'same-origin', 'same-origin');
  return (req: Request, res: Response, next: NextFunction) =>
    (req.path === '/admin' || req.path.startsWith('/admin/') ? admin : site)(req, res, next);
}

/**
 * The very headers securityHeaders sets on a reader page, as a constant: for the page cache's
 * fast path, which answers before Express runs any middleware. Helmet writes them through
 * setHeader/removeHeader from its options alone (no directive here depends on the request), so
 * recording one pass gives exactly what it sends on every reader response.
 */
export function readerSecurityHeaders(production: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name] = value),
    removeHeader: (name: string) => delete headers[name],
  };
  let done = false;
  helmetFor(production, 'strict-origin-when-cross-origin', 'cross-origin')(
    {} as Request,
    recorder as unknown as Response,
    (err?: unknown) => {
      if (err) throw err as Error;
      done = true;
    },
  );
  if (!done) throw new Error('helmet did not finish synchronously: the reader headers cannot be precomputed');
  return headers;
}

function helmetFor(
  production: boolean,
  referrer: 'strict-origin-when-cross-origin' | 'same-origin',
  resources: 'cross-origin' | 'same-origin',
): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'style-src-attr': ["'none'"],
        'img-src': ["'self'", 'data:', 'https:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'media-src': ["'self'"],
        'object-src': ["'none'"],
        'frame-src': ["'none'"],
        'worker-src': ["'none'"],
        'manifest-src': ["'self'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        // Locally the site is plain http: upgrading would break it.
        ...(production ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    // Why not includeSubDomains: the author's other subdomains are not ours to pin to HTTPS.
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: referrer },
    xFrameOptions: { action: 'deny' },
    // Feed readers on other sites show the blog's images; the admin shares nothing.
    crossOriginResourcePolicy: { policy: resources },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  } satisfies HelmetOptions);
}
