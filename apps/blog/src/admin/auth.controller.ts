import { Body, Get, HttpStatus, Logger, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';

import { AdminGuard, AuthCookies, AuthService, CsrfGuard, CsrfService, LoginThrottle, safeNext } from '@app/auth';

import { field, type FormBody } from './forms.js';
import { notice } from './notices.js';
import { AdminController, NotAWrite } from './writes/admin-controller.decorator.js';

@AdminController()
export class AuthController {
  private readonly logger = new Logger('Login');

  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
    private readonly csrf: CsrfService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Get('login')
  @UseGuards(CsrfGuard)
  async form(
    @Req() req: Request,
    @Res() res: Response,
    @Query('next') next: unknown,
    @Query('notice') key: unknown,
  ): Promise<void> {
    // Already logged in: nothing to do here.
    if (await this.auth.authenticate(this.cookies.read(req, this.cookies.sessionName))) return res.redirect(303, safeNext(next));
    this.render(res, HttpStatus.OK, { next: safeNext(next), notice: notice(key) });
  }

  @Post('login')
  @NotAWrite()
  @UseGuards(CsrfGuard)
  async login(@Req() req: Request, @Res() res: Response, @Body() body: FormBody): Promise<void> {
    const client = req.ip ?? 'unknown';
    const username = field(body, 'username').slice(0, 200);
    const next = safeNext(field(body, 'next'));
    // Counted before the check, so that parallel guesses cannot all slip through it.
    const wait = await this.throttle.reserve(client);
    if (wait > 0) {
      this.logger.warn(`Login throttled for ${JSON.stringify(username)} (retry in ${wait}s)`);
      res.setHeader('Retry-After', String(wait));
      return this.render(res, HttpStatus.TOO_MANY_REQUESTS, {
        next,
        username,
        error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`,
      });
    }
    const user = await this.auth.verifyCredentials(username, field(body, 'password').slice(0, 1024));
    if (!user) {
      this.logger.warn(`Login failed for ${JSON.stringify(username)}`);
      return this.render(res, HttpStatus.UNAUTHORIZED, { next, username, error: 'Wrong username or password.' });
    }
    await this.throttle.succeeded(client);
    this.logger.log(`Login succeeded for ${JSON.stringify(username)}`);
    // A new session id and a new CSRF seed: nothing fixed before login survives it.
    this.cookies.setSession(res, this.auth.issueSession(user));
    this.csrf.rotate(res);
    res.redirect(303, next);
  }

  @Post('logout')
  @NotAWrite()
  @UseGuards(AdminGuard)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.auth.revokeSessions(req.auth!.user.id);
    this.cookies.clearSession(res);
    res.redirect(303, '/admin/login?notice=logged-out');
  }

  private render(res: Response, status: number, model: Record<string, unknown>): void {
    res.status(status).render('admin/login', { layout: 'admin', title: 'Log in', loginPage: true, ...model });
  }
}
