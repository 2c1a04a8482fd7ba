import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Failures allowed per client before it must wait. */
export const FAILURES_PER_CLIENT = 5;
const CLIENT_WINDOW_S = 15 * 60;
/** Failures allowed from everyone together per hour: caps a guesser with many addresses. */
const FAILURES_GLOBAL = 100;

/**
 * Login back-off, in memory (one instance). Only failures count; a success clears the client.
 * Once blocked, a client waits out the window (429 with Retry-After) whatever it sends.
 */
@Injectable()
export class LoginThrottle {
  private readonly perClient = new RateLimiterMemory({ points: FAILURES_PER_CLIENT, duration: CLIENT_WINDOW_S });
  private readonly global = new RateLimiterMemory({ points: FAILURES_GLOBAL, duration: 3600 });

  /** Seconds to wait before this client may try again, or 0. */
  async retryAfter(client: string): Promise<number> {
    const [mine, all] = await Promise.all([this.perClient.get(client), this.global.get('all')]);
    const wait = (r: RateLimiterRes | null, limit: number) =>
      r && r.consumedPoints >= limit ? Math.ceil(r.msBeforeNext / 1000) : 0;
    return Math.max(wait(mine, FAILURES_PER_CLIENT), wait(all, FAILURES_GLOBAL));
  }

  async failed(client: string): Promise<void> {
    await Promise.all([this.perClient.penalty(client, 1), this.global.penalty('all', 1)]);
  }

  async succeeded(client: string): Promise<void> {
    await this.perClient.delete(client);
  }
}
