import { randomBytes } from 'node:crypto';

import { type LeaseRecord, type LeaseStore, liveGenerationOf } from './lease-record.js';

export interface TakenLease {
  record: LeaseRecord;
  /** The lease object's generation after our write: the holder compares against it before every write. */
  objectGeneration: number;
  /** The generation to restore (`litestream restore -generation`), or null for a plain restore. */
  restoreGeneration: string | null;
}

const MAX_ATTEMPTS = 20;

export function newHolderId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Takes the lease, newest wins: read it, write ours on top of exactly what we read. A 412 means
 * another instance wrote in between (two starting at the same moment): read again and write on
 * top of theirs, so the last one to start holds it and the other finds out at its first check.
 */
export async function takeLease(
  store: LeaseStore,
  identity: { holder: string; revision: string | null; startedAt?: Date },
): Promise<TakenLease> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.read();
    const record: LeaseRecord = {
      holder: identity.holder,
      revision: identity.revision,
      startedAt: (identity.startedAt ?? new Date()).toISOString(),
      generation: null,
      restoredFrom: liveGenerationOf(current?.record ?? null),
    };
    const result = await store.write(record, current?.objectGeneration ?? 0);
    if (result.written) {
      return {
        record,
        objectGeneration: result.objectGeneration,
        restoreGeneration: await restorable(store, record.restoredFrom),
      };
    }
  }
  throw new Error(`could not take the writer lease: it changed under us ${MAX_ATTEMPTS} times`);
}

/**
 * The generation a restore must use so that it holds every acknowledged write, or null when a plain
 * restore is right (no lease yet, or the replica was replaced by hand and that generation is gone).
 *
 * Why not always a plain restore: it picks the generation with the latest end time, and an old
 * instance that kept uploading after it lost the lease can make its abandoned generation look newest.
 */
export async function liveGeneration(store: LeaseStore): Promise<string | null> {
  const current = await store.read();
  return restorable(store, liveGenerationOf(current?.record ?? null));
}

async function restorable(store: LeaseStore, generation: string | null): Promise<string | null> {
  if (generation === null) return null;
  return (await store.hasSnapshot(generation)) ? generation : null;
}
