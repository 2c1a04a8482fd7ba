import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';

import { secondsToWait } from '@app/auth';

import { WebmentionReceiver } from '../webmention/receiver.service.js';

/** The endpoint's path (DESIGN.md URL map), advertised by every post page. */
export const WEBMENTION_PATH = '/webmention';

/** Per sender address: each request may cost a 5 s, 1 MB fetch (a blog sends one per link of a post). */
export const PER_CLIENT = { points: 20, duration: 60 };
/** From everyone together: caps a sender with many addresses. */
const GLOBAL = { points: 60, duration: 60 };

/**
 * Receives Webmentions: `POST /webmention` with form fields `source` and `target`. Answers in
 * plain text: 202 once verified and held, 400 with the reason, 429 when a sender sends too many.
 */
@Controller('webmention')
export class WebmentionController {
  private readonly perClient = new RateLimiterMemory(PER_CLIENT);
  private readonly global = new RateLimiterMemory(GLOBAL);

  constructor(private readonly receiver: WebmentionReceiver) {}

  @Post()
  async receive(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const wait = (await secondsToWait(this.perClient, req.ip ?? 'unknown')) || (await secondsToWait(this.global, 'all'));
    if (wait) {
      res.status(429).setHeader('Retry-After', String(wait)).type('text/plain').send('Too many Webmentions: try again later.\n');
      return;
    }
    const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const outcome = await this.receiver.receive(form.source, form.target);
    res.status(outcome.status).type('text/plain').send(`${outcome.message}\n`);
  }
}
