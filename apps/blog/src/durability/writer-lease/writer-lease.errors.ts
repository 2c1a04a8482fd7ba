/** What an author sees when a save is refused before anything was written. */
export const NOT_SAVED_MESSAGE = 'Not saved — the site is moving to a new version. Please retry in a few seconds.';

/**
 * What an author sees when the lease moved while the save was already on its way to the bucket:
 * the new instance may or may not have restored it (whole, or not at all).
 */
export const NOT_CONFIRMED_MESSAGE =
  'Not confirmed — the site is moving to a new version while this was being saved, so it may or may not have been kept. ' +
  'In a few seconds, open the page again to check, and retry if your change is missing.';

/**
 * A write refused because this instance does not (or can no longer show that it does) hold the
 * writer lease. `after`: found after the write had committed and replicated (the write
 * pipeline's second lease check, admin/writes/write-pipeline.interceptor.ts).
 */
export class WriterLeaseError extends Error {
  override readonly name = 'WriterLeaseError';
  /** What the write is answered with (see the admin's write pipeline, which sends it). */
  readonly status = 503;
  /** Seconds for Retry-After: the new instance is usually serving writes by then. */
  readonly retryAfterSeconds = 5;

  constructor(
    readonly reason: 'lost' | 'starting',
    readonly after = false,
  ) {
    super(after ? NOT_CONFIRMED_MESSAGE : NOT_SAVED_MESSAGE);
  }
}
