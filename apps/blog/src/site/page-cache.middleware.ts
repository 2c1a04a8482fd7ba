import type { NextFunction, Request, Response } from 'express';

import type { ViewCounterService } from '@app/content';

import { preferredEncoding } from './page-cache.encoding.js';
import { CachedPage, type PageCache } from './page-cache.service.js';

/**
 * Public pages may sit in a CDN or proxy for a minute; browsers revalidate every time, which the
 * ETag makes a 304 without a body.
 */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, s-maxage=60';

const NEVER_CACHED = /^\/(admin|static|media|healthz)([/?#]|$)/i;

/**
 * Whether a path (or a whole request URL, query included) is never cached nor answered from the
 * cache: the author's pages, health checks, and files with their own caching. Any letter case,
 * as Express routes it (`/ADMIN/posts` is the admin). The one rule for this middleware and
 * page-cache.fast-path.ts.
 */
export const neverCached = (url: string): boolean => NEVER_CACHED.test(url);
const CACHEABLE_TYPES = /^(text\/html|text\/plain|application\/(atom\+xml|feed\+json|json|xml)|text\/xml)/;

/**
 * Called by the post page: this response shows that post. The page cache is the one place views
 * are counted, on a miss (once the page is sent) as on every later hit of the same page.
 */
export function showsPost(res: Response, postId: number): void {
  (res.locals as { viewOf?: number }).viewOf = postId;
}

/**
 * Called for pages that show view counts (every page in the site's layout): the page cache keeps
 * it until the counts it shows are no longer the current ones (ViewCounterService.currentEpoch).
 */
export function showsCounts(res: Response, epoch: number): void {
  (res.locals as { countsEpoch?: number }).countsEpoch = epoch;
}

/**
 * Whether a cached page may be sent as it is: a page showing counts older than the current ones is
 * rendered again instead (at most once a minute). The one rule for both ways a hit is answered
 * (this middleware and page-cache.fast-path.ts).
 */
export function isServable(page: CachedPage, views: ViewCounterService): boolean {
  return page.countsEpoch === undefined || page.countsEpoch === views.currentEpoch();
}

/**
 * Serves reader pages from PageCache, and stores what the controllers render. Mounted by
 * configureApp right after the security headers and the request log, before compression, body
 * parsing and Nest's router: a hit costs a Map lookup and a write of ready bytes.
 */
export function pageCacheMiddleware(cache: PageCache, views: ViewCounterService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || neverCached(req.path)) return next();
    const key = req.originalUrl;
    const generation = cache.currentGeneration;
    cache.get(key).then((page) => {
      if (page && isServable(page, views)) {
        if (page.viewOf !== undefined) views.record(page.viewOf, req.get('user-agent'));
        return respond(req, res, cache, key, page);
      }
      capture(req, res, cache, views, key, generation);
      next();
    }, next);
  };
}

/** Wraps res.send for this response: a cacheable 200 is stored, then sent like a hit. */
function capture(
  req: Request,
  res: Response,
  cache: PageCache,
  views: ViewCounterService,
  key: string,
  generation: number,
): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    res.send = send;
    const viewOf = (res.locals as { viewOf?: number }).viewOf;
    if (viewOf !== undefined && res.statusCode === 200) views.record(viewOf, req.get('user-agent'));
    // res.send would type a string as HTML itself, after this point.
    const type = String(res.getHeader('Content-Type') ?? (typeof body === 'string' ? 'text/html; charset=utf-8' : ''));
    const cacheable =
      res.statusCode === 200 &&
      !res.getHeader('Set-Cookie') &&
      !res.getHeader('Cache-Control') &&
      CACHEABLE_TYPES.test(type) &&
      (typeof body === 'string' || Buffer.isBuffer(body));
    if (!cacheable) return send(body);
    const { countsEpoch } = res.locals as { countsEpoch?: number };
    const link = res.getHeader('Link');
    const page = new CachedPage(
      type,
      Buffer.isBuffer(body) ? body : Buffer.from(body as string),
      viewOf,
      countsEpoch,
      typeof link === 'string' ? link : undefined,
    );
    cache.store(key, page, generation);
    respond(req, res, cache, key, page);
    return res;
  };
}

function respond(req: Request, res: Response, cache: PageCache, key: string, page: CachedPage): void {
  const encoding = preferredEncoding(req);
  res.status(200);
  res.setHeader('Content-Type', page.contentType);
  res.setHeader('Cache-Control', PUBLIC_CACHE_CONTROL);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', page.etag(encoding));
  if (page.link) res.setHeader('Link', page.link);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  const before = page.size;
  const body = page.bodyFor(encoding);
  if (page.size !== before) cache.grew(key, before);
  if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
