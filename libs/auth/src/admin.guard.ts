import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';

import { AuthCookies } from './auth-cookies.js';
import { type AuthenticatedSession, AuthService } from './auth.service.js';
import { CsrfService } from './csrf.service.js';
import { LoginRequiredException } from './login-required.exception.js';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthenticatedSession;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Put on every admin controller (class level): a valid session, and a CSRF token on writes. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
    private readonly csrf: CsrfService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const session = await this.auth.authenticate(this.cookies.read(req, this.cookies.sessionName));
    if (!session) throw new LoginRequiredException(req.originalUrl);
    if (!SAFE_METHODS.has(req.method) && !this.csrf.verify(req)) {
      throw new ForbiddenException('The form has expired or did not come from this site. Reload the page and try again.');
    }
    req.auth = session;
    res.locals.csrfToken = this.csrf.token(req, res);
    res.locals.admin = { username: session.user.username };
    return true;
  }
}

/** For the forms used while logged out (login): CSRF only. */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly csrf: CsrfService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!SAFE_METHODS.has(req.method) && !this.csrf.verify(req)) {
      throw new ForbiddenException('The form has expired or did not come from this site. Reload the page and try again.');
    }
    res.locals.csrfToken = this.csrf.token(req, res);
    return true;
  }
}
