import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, Server, ServerResponse } from 'node:http';

import { Injectable } from '@nestjs/common';
import fresh from 'fresh';

import { ViewCounterService } from '@app/content';

import { isDraining } from '../common/draining.js';
import { readerSecurityHeaders } from '../common/security-headers.js';
import type { AppLogger } from '../logging/app-logger.js';
import { preferredEncoding } from './page-cache.encoding.js';
import { isServable, neverCached, PUBLIC_CACHE_CONTROL } from './page-cache.middleware.js';
import { type CachedPage, type Encoding, PageCache } from './page-cache.service.js';

interface Prepared {
  notModified: OutgoingHttpHeaders;
  /** The 200's headers, Content-Length included: made on the first 200 (the body may be compressed then). */
  ok?: OutgoingHttpHeaders;
}

export interface FastPathOptions {
  logger: AppLogger;
  production: boolean;
  /** The admin's session cookie: a request carrying it goes to the app. */
  sessionCookie: string;
}

/**
 * Cache hits at Node's speed: the server's one `request` listener looks the URL up in the page
 * cache and, on a hit, writes the headers the app would send (prepared once per page and
 * encoding) and the stored bytes, before Express and Nest see the request; everything else goes
 * to the app unchanged. A hit through the app cost Express's request set-up, helmet, the request
 * log, and the middleware chain; here it costs a Map lookup and one write.
 *
 * What the app's path does on a hit, this does the same way: security headers (helmet's own
 * output, see readerSecurityHeaders), Cache-Control, Vary, strong ETag per encoding, brotli/gzip
 * by the same rule (preferredEncoding), 304 for a matching If-None-Match (the `fresh` package, as
 * Express's req.fresh), HEAD without a body, `Connection: close` while draining, the view counted
 * (PageCache pages remember the post they show; bots are not counted by ViewCounterService),
 * the batched view counts written first when due, and one request-log line.
 *
 * Never here: anything but GET and HEAD, the admin, static files, media and health checks, and
 * any request of a signed-in author (the app serves those, from the same cache where it applies).
 */
@Injectable()
export class PageCacheFastPath {
  private answered = 0;
  private security: OutgoingHttpHeaders = {};
  private options?: FastPathOptions;
  private readonly prepared = new WeakMap<CachedPage, Partial<Record<Encoding, Prepared>>>();

  constructor(
    private readonly cache: PageCache,
    private readonly views: ViewCounterService,
  ) {}

  /** Puts the fast path in front of the app's own `request` listener(s) on `server`. */
  install(server: Server, options: FastPathOptions): void {
    this.options = options;
    this.security = readerSecurityHeaders(options.production);
    const app = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.tryAnswer(req, res)) for (const listener of app) listener.call(server, req, res);
    });
  }

  /** Requests answered here since the start (the rest went to the app). */
  stats(): { answered: number } {
    return { answered: this.answered };
  }

  private tryAnswer(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url || neverCached(url)) return false;
    const cookie = req.headers.cookie;
    if (cookie?.includes(`${this.options!.sessionCookie}=`)) return false;
    const page = this.cache.peek(url);
    if (!page || !isServable(page, this.views)) return false;
    this.answered++;
    const started = process.hrtime.bigint();
    // As viewCountFlushMiddleware: the due batch is written inside a request, which holds the CPU.
    const due = this.views.flushIfDue();
    if (due) {
      const go = () => this.answer(req, res, url, page, started);
      due.then(go, go);
    } else {
      this.answer(req, res, url, page, started);
    }
    return true;
  }

  private answer(req: IncomingMessage, res: ServerResponse, url: string, page: CachedPage, started: bigint): void {
    if (page.viewOf !== undefined) this.views.record(page.viewOf, req.headers['user-agent']);
    const encoding = preferredEncoding(req);
    const headers = this.headersFor(page, encoding);
    if (fresh(req.headers, { etag: headers.notModified.ETag as string })) {
      this.log(req, res, 304, undefined, started);
      res.writeHead(304, this.draining(headers.notModified));
      res.end();
      return;
    }
    const before = page.size;
    const body = page.bodyFor(encoding);
    if (page.size !== before) this.cache.grew(url, before);
    headers.ok ??= {
      ...headers.notModified,
      ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
      'Content-Length': body.length,
    };
    this.log(req, res, 200, body.length, started);
    res.writeHead(200, this.draining(headers.ok));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** The headers of a hit, made once per page and encoding (pages are immutable; a new render is a new page). */
  private headersFor(page: CachedPage, encoding: Encoding): Prepared {
    let byEncoding = this.prepared.get(page);
    if (!byEncoding) this.prepared.set(page, (byEncoding = {}));
    return (byEncoding[encoding] ??= {
      notModified: {
        ...this.security,
        'Content-Type': page.contentType,
        'Cache-Control': PUBLIC_CACHE_CONTROL,
        Vary: 'Accept-Encoding',
        ETag: page.etag(encoding),
        ...(page.link ? { Link: page.link } : {}),
      },
    });
  }

  private draining(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
    return isDraining() ? { ...headers, Connection: 'close' } : headers;
  }

  /** The line requestLog writes for a response of the app. */
  private log(req: IncomingMessage, res: ServerResponse, status: number, length: number | undefined, started: bigint): void {
    const logger = this.options!.logger;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      logger.request({
        requestMethod: req.method!,
        requestUrl: req.url!,
        status,
        responseSize: length?.toString(),
        userAgent: req.headers['user-agent'],
        latency: `${seconds.toFixed(4)}s`,
        protocol: `HTTP/${req.httpVersion}`,
      });
    });
  }
}
