import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ReplicationService } from './replication.service.js';

/**
 * Holds back the answer to an author's write until it is replicated (or the wait is over), and
 * tells the author which: form saves redirect with `replication=replicated|pending`, JSON answers
 * get a `replication` field. Reads, login and the preview are not writes and pass straight through.
 */
@Injectable()
export class ReplicatedSaveMiddleware implements NestMiddleware {
  constructor(private readonly replication: ReplicationService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'POST' || !this.replication.enabled || /^\/admin\/(login|logout|preview)(\/|\?|$)/.test(req.originalUrl)) {
      return next();
    }
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    const json = res.json.bind(res);
    res.redirect = ((statusOrUrl: number | string, maybeUrl?: string) => {
      const [status, url] = typeof statusOrUrl === 'number' ? [statusOrUrl, maybeUrl!] : [302, statusOrUrl];
      void this.replication.waitForReplication().then((outcome) => {
        const mark = `${url.includes('?') ? '&' : '?'}replication=${outcome}`;
        redirect(status, outcome === 'off' ? url : `${url}${mark}`);
      });
    }) as Response['redirect'];
    res.json = ((body: unknown) => {
      if (res.statusCode >= 400) return json(body);
      void this.replication.waitForReplication().then((outcome) => json({ ...(body as object), replication: outcome }));
      return res;
    }) as Response['json'];
    next();
  }
}
