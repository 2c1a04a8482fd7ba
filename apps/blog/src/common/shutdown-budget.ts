/**
 * After SIGTERM, Cloud Run sends SIGKILL 10 s later. A SIGKILL before Litestream's final sync loses
 * whatever was not yet shipped (view counts, a save still waiting), so the app's part is budgeted
 * and Litestream keeps the rest (counted from the signal):
 * - drainMs: in-flight requests may finish (a save's replication wait is 5 s); then cut;
 * - the view counts are flushed after the drain, their writer-lease check bounded by what is left
 *   before exitByMs less closeMs (not confirmed in time: they are dropped, counters may lag);
 * - exitByMs: the app has exited 0 by then whatever still runs (a hard stop), which leaves
 *   killAfterMs - exitByMs for Litestream's final sync.
 * deploy-budget.e2e-spec.ts holds these numbers to those rules.
 */
export const SHUTDOWN_BUDGET = {
  killAfterMs: 10_000,
  drainMs: 5_000,
  exitByMs: 7_500,
  /** Kept for closing the ORM and the server after the flush. */
  closeMs: 500,
} as const;
