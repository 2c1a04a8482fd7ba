import { type RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Takes one point from `key`'s allowance: 0 if it was there, else the whole seconds to wait (at
 * least 1, for a Retry-After header). One rule for every limiter of the app (login, Webmention).
 */
export async function secondsToWait(limiter: RateLimiterMemory, key: string): Promise<number> {
  try {
    await limiter.consume(key, 1);
    return 0;
  } catch (rejected) {
    if (rejected instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejected.msBeforeNext / 1000));
    throw rejected;
  }
}
