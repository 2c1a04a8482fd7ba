import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';

import { ReplicationService, type ReplicationOutcome } from '../../durability/replication.service.js';
import { WriterLeaseError } from '../../durability/writer-lease/writer-lease.errors.js';
import { WriterLeaseService } from '../../durability/writer-lease/writer-lease.service.js';
import { WebmentionSender } from '../../webmention/sender.service.js';
import { replicationNotice } from '../notices.js';
import { AUTHOR_WRITE } from './author-write.metadata.js';
import { sendNotSaved } from './not-saved.response.js';
import { type WriteOutcome, wroteSomething } from './outcome.js';

/**
 * The one pipeline every author write runs (see AdminController for which handlers are writes):
 * lease check → the handler → due Webmentions → wait for replication → lease check again → the
 * outcome shown.
 *
 * - The first check refuses a write before it reaches its handler, so a refused write leaves
 *   nothing behind. (A lease the bucket could not confirm lets the write go ahead: it is reported
 *   as pending, as any save the bucket did not confirm.) An interceptor runs after the guards, so
 *   only a logged-in author with a valid CSRF token can make the instance read the lease.
 * - Cloud Run throttles the CPU between requests, so Litestream may not sync after the answer is
 *   sent: the answer waits until the write is on the replica, or the bounded wait is over.
 * - The second check: if another instance took over meanwhile, it may have restored before this
 *   write reached the bucket, so the author is told "not confirmed" (see the README's reliability
 *   section for what that leaves behind).
 */
@Injectable()
export class WritePipeline implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly replication: ReplicationService,
    private readonly lease: WriterLeaseService,
    private readonly webmentions: WebmentionSender,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(AUTHOR_WRITE, context.getHandler())) return next.handle();
    const http = context.switchToHttp();
    return from(this.run(http.getRequest<Request>(), http.getResponse<Response>(), next));
  }

  private async run(req: Request, res: Response, next: CallHandler): Promise<void> {
    try {
      await this.lease.check();
      const outcome = (await lastValueFrom(next.handle())) as WriteOutcome;
      // While the author waits anyway, and before the replication wait so its records ship with
      // the write: posts that went live by their schedule send their Webmentions (one query when
      // none is due; bounded by SEND_LIMITS.catchUpMs).
      if (wroteSomething(outcome)) await this.webmentions.catchUp();
      const replication = wroteSomething(outcome) ? await this.settle() : 'off';
      await show(res, outcome, replication);
    } catch (err) {
      if (!(err instanceof WriterLeaseError)) throw err;
      sendNotSaved(req, res, err);
    }
  }

  /** The replication outcome to report; throws WriterLeaseError (after) when the lease moved meanwhile. */
  private async settle(): Promise<ReplicationOutcome> {
    if (!this.replication.enabled) return 'off';
    const outcome = await this.replication.waitForReplication();
    try {
      // Replicated, but unless the lease is confirmed still ours now, a successor may not have it.
      return (await this.lease.check()) === 'unconfirmed' ? 'pending' : outcome;
    } catch (err) {
      if (!(err instanceof WriterLeaseError)) return 'pending';
      throw new WriterLeaseError(err.reason, true);
    }
  }
}

async function show(res: Response, outcome: WriteOutcome, replication: ReplicationOutcome): Promise<void> {
  switch (outcome.kind) {
    case 'redirect': {
      const mark = replication === 'off' ? '' : `${outcome.to.includes('?') ? '&' : '?'}replication=${replication}`;
      res.redirect(303, `${outcome.to}${mark}`);
      return;
    }
    case 'json':
      res.status(outcome.status).json(replication === 'off' ? outcome.body : { ...outcome.body, replication });
      return;
    case 'page': {
      const html = await new Promise<string>((resolve, reject) =>
        res.render(outcome.view, { ...outcome.model, replication: replicationNotice(replication) }, (err, out) =>
          err ? reject(err) : resolve(out),
        ),
      );
      res.status(outcome.status).type('html').send(html);
    }
  }
}
