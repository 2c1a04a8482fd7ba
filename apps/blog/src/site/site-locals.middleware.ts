import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ViewCounterService } from '@app/content';

import { SiteContextService } from '../views/site-context.service.js';
import { showsCounts } from './page-cache.middleware.js';

/**
 * Puts the site context where every layout finds it: res.locals.site, and the site-wide view
 * count the footer shows (res.locals.views, as of the last flush: no query per page).
 */
@Injectable()
export class SiteLocalsMiddleware implements NestMiddleware {
  constructor(
    private readonly site: SiteContextService,
    private readonly views: ViewCounterService,
  ) {}

  use(_req: Request, res: Response, next: NextFunction): void {
    Promise.all([this.site.get(), this.views.shown()]).then(
      ([site, counts]) => {
        res.locals.site = site;
        res.locals.views = { all: counts.all };
        showsCounts(res, counts.epoch);
        next();
      },
      (err: unknown) => next(err),
    );
  }
}
