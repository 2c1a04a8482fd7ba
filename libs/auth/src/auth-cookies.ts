import { Inject, Injectable } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';

import { AUTH_OPTIONS, type AuthOptions, DEFAULT_SESSION_TTL_MS } from './auth-options.js';

/**
 * The two cookies of the admin: the session, and a random CSRF seed that exists before login
 * too (the login form needs a token). Both HttpOnly and SameSite=Lax; Secure with the __Host-
 * prefix in production, so no subdomain or plain-HTTP page can set or read them.
 */
@Injectable()
export class AuthCookies {
  readonly sessionName: string;
  readonly csrfName: string;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    const prefix = options.secureCookies ? '__Host-' : '';
    this.sessionName = `${prefix}inkstone_session`;
    this.csrfName = `${prefix}inkstone_csrf`;
  }

  read(req: Request, name: string): string | undefined {
    const header = req.headers.cookie;
    return header ? parseCookie(header)[name] : undefined;
  }

  setSession(res: Response, value: string): void {
    this.append(res, this.sessionName, value, Math.floor((this.options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS) / 1000));
  }

  clearSession(res: Response): void {
    this.append(res, this.sessionName, '', 0);
  }

  setCsrfSeed(res: Response, value: string): void {
    // A session cookie (no Max-Age): a new seed per browser session is enough.
    this.append(res, this.csrfName, value);
  }

  private append(res: Response, name: string, value: string, maxAge?: number): void {
    const cookie = stringifySetCookie({
      name,
      value,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.options.secureCookies,
      ...(maxAge !== undefined ? { maxAge } : {}),
    });
    res.append('Set-Cookie', cookie);
  }
}
