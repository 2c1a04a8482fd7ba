/**
 * Asked before a background write that no request is waiting for (the view counters). The app
 * provides it when it runs with a writer lease (another instance may have taken over the database);
 * without one, every write is allowed.
 */
export interface WriteGate {
  /** False when the write must not happen, or could not be confirmed within `withinMs` (if given). */
  mayWrite(withinMs?: number): Promise<boolean>;
}

export const WRITE_GATE = Symbol('WRITE_GATE');
