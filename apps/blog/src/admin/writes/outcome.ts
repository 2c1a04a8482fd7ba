/**
 * What an author write answers with, returned by its handler; the write pipeline shows it once
 * the write is replicated (or the wait is over) and the lease is confirmed still ours.
 */
export type WriteOutcome =
  /** 303 See Other, with `replication=replicated|pending` added for the next page's notice. */
  | { kind: 'redirect'; to: string }
  /** A page, with the replication notice in its model. `wrote: false`: nothing was written (a refused form, a dry run). */
  | { kind: 'page'; view: string; model: Record<string, unknown>; status: number; wrote: boolean }
  /** JSON for the editor's fetches, with a `replication` field when the write succeeded. */
  | { kind: 'json'; body: Record<string, unknown>; status: number };

export const seeOther = (to: string): WriteOutcome => ({ kind: 'redirect', to });

/** A page after a write; a status of 400 or more means nothing was written. */
export const page = (
  view: string,
  model: Record<string, unknown>,
  options: { status?: number; wrote?: boolean } = {},
): WriteOutcome => {
  const status = options.status ?? 200;
  return { kind: 'page', view, model, status, wrote: options.wrote ?? status < 400 };
};

export const json = (body: Record<string, unknown>, status = 200): WriteOutcome => ({ kind: 'json', body, status });

/** Whether the outcome reports a write that has to reach the replica before it is acknowledged. */
export function wroteSomething(outcome: WriteOutcome): boolean {
  if (outcome.kind === 'redirect') return true;
  if (outcome.kind === 'page') return outcome.wrote;
  return outcome.status < 400;
}
