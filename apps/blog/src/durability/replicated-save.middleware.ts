import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ReplicationService } from './replication.service.js';
import { sendNotSaved } from './writer-lease/not-saved.response.js';
import { WriterLeaseError } from './writer-lease/writer-lease.errors.js';
import { WriterLeaseService } from './writer-lease/writer-lease.service.js';

/**
 * Holds back the answer to an author's write until it is replicated (or the wait is over), and
 * tells the author which: form saves redirect with `replication=replicated|pending`, JSON answers
 * get a `replication` field. Reads, login and the preview are not writes and pass straight through.
 *
 * With a writer lease, the lease is checked once more after replication: if another instance took
 * over meanwhile, it may have restored before this write reached the bucket, so the author is told
 * "not saved" instead (see the README's reliability section for what that leaves behind).
 */
@Injectable()
export class ReplicatedSaveMiddleware implements NestMiddleware {
  constructor(
    private readonly replication: ReplicationService,
    private readonly lease: WriterLeaseService,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'POST' || !this.replication.enabled || /^\/admin\/(login|logout|preview)(\/|\?|$)/.test(req.originalUrl)) {
      return next();
    }
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    const json = res.json.bind(res);
    res.redirect = ((statusOrUrl: number | string, maybeUrl?: string) => {
      const [status, url] = typeof statusOrUrl === 'number' ? [statusOrUrl, maybeUrl!] : [302, statusOrUrl];
      void this.settle(req, res).then((outcome) => {
        if (outcome === null) return;
        const mark = `${url.includes('?') ? '&' : '?'}replication=${outcome}`;
        redirect(status, outcome === 'off' ? url : `${url}${mark}`);
      });
    }) as Response['redirect'];
    res.json = ((body: unknown) => {
      if (res.statusCode >= 400) return json(body);
      void this.settle(req, res).then((outcome) => {
        if (outcome !== null) json({ ...(body as object), replication: outcome });
      });
      return res;
    }) as Response['json'];
    next();
  }

  /** The replication outcome to report, or null when the save was refused (the answer is sent). */
  private async settle(req: Request, res: Response) {
    const outcome = await this.replication.waitForReplication();
    try {
      // Replicated, but unless the lease is confirmed still ours now, a successor may not have it.
      return (await this.lease.check()) === 'unconfirmed' ? 'pending' : outcome;
    } catch (err) {
      if (!(err instanceof WriterLeaseError)) return 'pending';
      sendNotSaved(req, res, new WriterLeaseError(err.reason, true));
      return null;
    }
  }
}
