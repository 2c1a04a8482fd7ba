import type { LeaseRecord, LeaseStore, StoredLease } from '../lease-record.js';

/** For unit specs: a bucket of one object with GCS's generation rule. */
export class MemoryStore implements LeaseStore {
  stored: StoredLease | null = null;
  snapshots = new Set<string>();
  writes = 0;
  conflicts = 0;
  private generation = 1000;
  /** Runs once between the next read and its caller's write (to stage a race). */
  between: (() => Promise<void>) | null = null;
  /** Every call fails, as when the bucket does not answer. */
  failing = false;

  async read() {
    if (this.failing) throw new Error('bucket unreachable');
    const copy = this.stored && { ...this.stored };
    const hook = this.between;
    this.between = null;
    await hook?.();
    return copy;
  }
  async currentGeneration() {
    if (this.failing) throw new Error('bucket unreachable');
    return this.stored?.objectGeneration ?? 0;
  }
  async write(record: LeaseRecord, ifGeneration: number) {
    await Promise.resolve();
    if ((this.stored?.objectGeneration ?? 0) !== ifGeneration) {
      this.conflicts++;
      return { written: false as const };
    }
    this.writes++;
    this.stored = { objectGeneration: ++this.generation, record: { ...record } };
    return { written: true as const, objectGeneration: this.generation };
  }
  async hasSnapshot(generation: string) {
    return this.snapshots.has(generation);
  }
}
