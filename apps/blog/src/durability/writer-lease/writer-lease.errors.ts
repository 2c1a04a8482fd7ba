/** The message an author sees when a save is refused because another instance holds the lease. */
export const MOVING_MESSAGE = 'Not saved — the site is moving to a new version. Please retry in a few seconds.';

/**
 * A write refused because this instance does not (or can no longer show that it does) hold the
 * writer lease. Nothing was written for it (checked before the transaction) or, when it comes from
 * the check after replication, the author is not told it was saved.
 */
export class WriterLeaseError extends Error {
  override readonly name = 'WriterLeaseError';
  /** Seconds for Retry-After: the new instance is usually serving writes by then. */
  readonly retryAfterSeconds = 5;

  constructor(readonly reason: 'lost' | 'unconfirmed' | 'starting') {
    super(MOVING_MESSAGE);
  }
}
