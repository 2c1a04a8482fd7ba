import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { SiteContextService } from '../views/site-context.service.js';

/** Puts the site context where every layout finds it: res.locals.site. */
@Injectable()
export class SiteLocalsMiddleware implements NestMiddleware {
  constructor(private readonly site: SiteContextService) {}

  use(_req: Request, res: Response, next: NextFunction): void {
    this.site.get().then(
      (site) => {
        res.locals.site = site;
        next();
      },
      (err: unknown) => next(err),
    );
  }
}
