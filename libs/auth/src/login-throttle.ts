import { Injectable } from '@nestjs/common';
import { RateLimiterMemory } from 'rate-limiter-flexible';

import { secondsToWait } from './rate-limit.js';

/** Failures allowed per client before it must wait. */
export const FAILURES_PER_CLIENT = 5;
const CLIENT_WINDOW_S = 15 * 60;
/** Failures allowed from everyone together per hour: caps a guesser with many addresses. */
const FAILURES_GLOBAL = 100;

/**
 * Login back-off, in memory (one instance). Every attempt takes a point before the password is
 * checked, and a success gives it back: taking it afterwards would let guesses sent in parallel
 * all pass the check before any failure was counted (22 of 1,000 got through, sent 25 at a time).
 * Once blocked, a client waits out the window (429 with Retry-After) whatever it sends.
 */
@Injectable()
export class LoginThrottle {
  private readonly perClient = new RateLimiterMemory({ points: FAILURES_PER_CLIENT, duration: CLIENT_WINDOW_S });
  private readonly global = new RateLimiterMemory({ points: FAILURES_GLOBAL, duration: 3600 });

  /** Takes one attempt from the client's and everyone's allowance: 0 if allowed, else seconds to wait. */
  async reserve(client: string): Promise<number> {
    const mine = await secondsToWait(this.perClient, client);
    if (mine > 0) return mine;
    return secondsToWait(this.global, 'all');
  }

  /** The attempt was the right password: it does not count, and the client starts afresh. */
  async succeeded(client: string): Promise<void> {
    await Promise.all([this.perClient.delete(client), this.global.reward('all', 1)]);
  }
}
