import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { LoginRequiredException } from '@app/auth';
import { ContentError, MAX_UPLOAD_BYTES, RedirectsService } from '@app/content';

import { SiteContextService } from '../views/site-context.service.js';
import { RedirectException } from '../common/redirect.exception.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Page not found',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Too large',
  415: 'Unsupported file type',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

/**
 * The one place errors become pages: a themed page with the right status, never a stack trace.
 * Domain errors from the libs carry their status (and a message for the author); anything
 * unexpected is logged and becomes a 500.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly site: SiteContextService,
    private readonly redirects: RedirectsService,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (exception instanceof RedirectException) {
      res.redirect(exception.status, exception.location);
      return;
    }
    if (exception instanceof LoginRequiredException && req.method === 'GET' && req.accepts('html')) {
      res.redirect(303, `/admin/login?next=${encodeURIComponent(exception.next)}`);
      return;
    }
    const described = this.describe(exception);
    const { message } = described;
    let { status } = described;
    // An old address (an imported blog's permalink, feed, ?p=ID) answers before the 404, and only
    // then: a route that answers always wins, and a page served from the cache never asks.
    if (status === 404 && (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/admin')) {
      const to = await this.redirects.find(req.originalUrl).catch(() => null);
      if (to) {
        res.redirect(301, to);
        return;
      }
      // A deleted post's address: 410, so Webmention receivers can verify the deletion.
      if (await this.redirects.isGone(req.originalUrl).catch(() => false)) status = 410;
    }
    if (status >= 500) {
      this.logger.error(
        `${req.method} ${req.originalUrl}: ${(exception as Error)?.message ?? exception}`,
        (exception as Error)?.stack,
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const site = await this.site.get().catch(() => this.site.fallback());
    res.status(status);
    res.setHeader('Cache-Control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ statusCode: status, message });
      return;
    }
    // The author, once signed in, stays in the admin's own layout, with a way back to their work.
    const inAdmin = req.path.startsWith('/admin') && Boolean(res.locals.admin);
    res.render(
      inAdmin ? 'admin/error' : 'site/error',
      {
        site,
        status,
        title: TITLES[status] ?? 'Error',
        message,
        notFound: status === 404 || status === 410,
        gone: status === 410,
        meta: { title: `${TITLES[status] ?? 'Error'} · ${site.title}`, noindex: true },
        ...(inAdmin ? { layout: 'admin' } : {}),
      },
      (err, html) => {
        // If even the error page cannot render, a plain line is better than nothing.
        if (err) res.type('text/plain').send(`${status} ${TITLES[status] ?? 'Error'}`);
        else res.type('html').send(html);
      },
    );
  }

  private describe(exception: unknown): { status: number; message: string } {
    if (exception instanceof ContentError) {
      return { status: exception.status, message: exception.status === 404 ? '' : exception.message };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 413) {
        // body-parser's error, passed on by Nest as the cause, knows the bound of the route it hit.
        const limit = (exception.cause as { type?: unknown; limit?: unknown } | undefined)?.limit;
        if (typeof limit === 'number') return { status, message: `Too large: this form may be at most ${formatBytes(limit)}.` };
      }
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      // A route with its own limit (the import) says so; multer's generic "File too large" does not.
      if (status === 413 && (typeof raw !== 'string' || /^(Payload|File) too large$/i.test(raw)))
        return { status, message: `Too large: uploads may be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB, forms 2 MB.` };
      const message =
        status < 500 && typeof raw === 'string' && raw !== TITLES[status] && !/^(Not Found|Cannot \w+ )/.test(raw) ? raw : '';
      return { status, message };
    }
    // body-parser and friends throw errors carrying a status (413 too large, 400 bad JSON).
    const status = (exception as { status?: unknown })?.status;
    if (status === 413) {
      const limit = (exception as { limit?: unknown }).limit;
      const size = typeof limit === 'number' ? formatBytes(limit) : '2 MB';
      return { status, message: `Too large: this form may be at most ${size}.` };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: '' };
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: '' };
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
