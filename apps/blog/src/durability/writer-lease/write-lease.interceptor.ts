import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, type Observable, switchMap } from 'rxjs';

import { WriterLeaseService } from './writer-lease.service.js';

/** Admin POSTs that write nothing. */
const NOT_A_WRITE = /^\/admin\/(login|preview)(\/|\?|$)/;

/**
 * Checks the writer lease before an author's write reaches its controller, so a refused write
 * leaves nothing behind. (A lease the bucket could not confirm lets the write go ahead: it will be
 * reported as pending, as any save the bucket did not confirm.) An interceptor (not a middleware) because it runs after the guards: only
 * a logged-in author with a valid CSRF token can make the instance read the lease.
 */
@Injectable()
export class WriteLeaseInterceptor implements NestInterceptor {
  constructor(private readonly lease: WriterLeaseService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    if (
      !this.lease.enabled ||
      req.method !== 'POST' ||
      !req.originalUrl.startsWith('/admin/') ||
      NOT_A_WRITE.test(req.originalUrl)
    ) {
      return next.handle();
    }
    return from(this.lease.check()).pipe(switchMap(() => next.handle()));
  }
}
