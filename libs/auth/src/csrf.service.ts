import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';

import { AuthCookies } from './auth-cookies.js';
import { AuthService } from './auth.service.js';
import { safeEqual, SessionCodec } from './session-codec.js';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * CSRF tokens are an HMAC of a random per-browser seed cookie: a page on another site can make
 * the browser send the cookie but cannot read it, so it cannot compute the token.
 */
@Injectable()
export class CsrfService {
  constructor(
    private readonly cookies: AuthCookies,
    private readonly auth: AuthService,
  ) {}

  /** The token for forms on this response; creates the seed cookie on first use. */
  token(req: Request, res: Response): string {
    let seed = (res.locals.csrfSeed as string | undefined) ?? this.cookies.read(req, this.cookies.csrfName);
    if (!seed || seed.length < 16) seed = this.rotate(res);
    res.locals.csrfSeed = seed;
    return this.auth.codec.derive('csrf', seed);
  }

  /** A fresh seed, e.g. at login, so a token seen before login is worthless after it. */
  rotate(res: Response): string {
    const seed = SessionCodec.randomId();
    this.cookies.setCsrfSeed(res, seed);
    res.locals.csrfSeed = seed;
    return seed;
  }

  /** Whether the request carries the token for its seed, in the form field, the header or (multipart forms) the query. */
  verify(req: Request): boolean {
    const seed = this.cookies.read(req, this.cookies.csrfName);
    const body = req.body as Record<string, unknown> | undefined;
    const query = req.query as Record<string, unknown>;
    // The query is read only for multipart forms, whose body the guard cannot see yet.
    const fromQuery = req.is('multipart/form-data') ? query?.[CSRF_FIELD] : undefined;
    const given = [body?.[CSRF_FIELD], req.get(CSRF_HEADER), fromQuery].find((v) => typeof v === 'string');
    if (!seed || typeof given !== 'string') return false;
    return safeEqual(given, this.auth.codec.derive('csrf', seed));
  }
}
