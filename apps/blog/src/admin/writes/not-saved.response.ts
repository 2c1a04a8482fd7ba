import type { Request, Response } from 'express';

import type { WriterLeaseError } from '../../durability/writer-lease/writer-lease.errors.js';

/**
 * The answer to a write this instance may not make: 503 with Retry-After, as a small admin page
 * or, for the editor's fetches, JSON. Sent by the write pipeline, for either lease check.
 */
export function sendNotSaved(req: Request, res: Response, error: WriterLeaseError): void {
  res.status(503);
  res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Connection', 'close');
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ statusCode: 503, message: error.message });
    return;
  }
  res.render(
    'admin/not-saved',
    {
      layout: 'admin',
      title: error.after ? 'Not confirmed' : 'Not saved',
      loginPage: true,
      message: error.message,
      after: error.after,
    },
    (err, html) => {
      if (err) res.type('text/plain').send(error.message);
      else res.type('html').send(html);
    },
  );
}
