import type { NextFunction, Request, Response } from 'express';

import type { ViewCounterService } from '@app/content';

/**
 * Writes the batched view counts when they are due, before this request goes on: with
 * request-based billing the CPU is there only while a request is in flight, so the write (and
 * the writer-lease check before it) is done inside one. At most one request per batch interval
 * waits for it; a failed write is logged by the counter and never fails the request.
 */
export function viewCountFlushMiddleware(counter: ViewCounterService) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    const due = counter.flushIfDue();
    if (due)
      due.then(
        () => next(),
        () => next(),
      );
    else next();
  };
}
