/**
 * The writer lease: one small JSON object in the bucket, beside the replica, naming the instance
 * that may write. It is only ever changed with a generation precondition, so two writers racing
 * for it settle to exactly one.
 *
 * Its name is `<replica path>.writer-lease.json`: Litestream lists only under `<replica path>/`,
 * so the lease never shows up as (or inside) a generation.
 */

export interface LeaseLocation {
  bucket: string;
  /** The replica's path in the bucket, e.g. `inkstone.db` (Litestream keeps `<path>/generations/...`). */
  replicaPath: string;
  /** The lease object's name. */
  object: string;
}

export interface LeaseRecord {
  /** Random id of the instance that holds the lease. */
  holder: string;
  /** Cloud Run's K_REVISION of that instance, when known. */
  revision: string | null;
  startedAt: string;
  /**
   * The Litestream generation the holder writes, once its first snapshot is in the bucket.
   * Until then null: the holder has acknowledged no write yet.
   */
  generation: string | null;
  /** The generation the holder restored from (null: it started a new blog or restored without a lease). */
  restoredFrom: string | null;
}

/** A stored lease: its record and the object generation that any change must name. */
export interface StoredLease {
  objectGeneration: number;
  record: LeaseRecord | null;
}

/** What the lease code needs from the bucket (GCS in production, the stand-in in tests). */
export interface LeaseStore {
  read(): Promise<StoredLease | null>;
  /** The lease object's current generation only (0: no lease object). */
  currentGeneration(): Promise<number>;
  /** Writes only if the object's generation is still `ifGeneration` (0: the object must not exist). */
  write(record: LeaseRecord, ifGeneration: number): Promise<{ written: true; objectGeneration: number } | { written: false }>;
  /** Whether a Litestream generation has at least one snapshot in the replica. */
  hasSnapshot(generation: string): Promise<boolean>;
}

const GENERATION = /^[0-9a-f]{16}$/;

/** The lease's place for a Litestream replica URL; null for replicas other than Cloud Storage. */
export function leaseLocation(replicaUrl: string | null | undefined): LeaseLocation | null {
  const match = /^gcs:\/\/([^/]+)\/(.+?)\/*$/.exec(replicaUrl?.trim() ?? '');
  if (!match) return null;
  return { bucket: match[1], replicaPath: match[2], object: `${match[2]}.writer-lease.json` };
}

export function isGeneration(value: unknown): value is string {
  return typeof value === 'string' && GENERATION.test(value);
}

/** Parses a stored lease; anything unreadable counts as "no record" (it is then simply replaced). */
export function parseLeaseRecord(text: string): LeaseRecord | null {
  try {
    const raw = JSON.parse(text) as Partial<Record<keyof LeaseRecord, unknown>>;
    if (typeof raw.holder !== 'string' || typeof raw.startedAt !== 'string') return null;
    return {
      holder: raw.holder,
      revision: typeof raw.revision === 'string' ? raw.revision : null,
      startedAt: raw.startedAt,
      generation: isGeneration(raw.generation) ? raw.generation : null,
      restoredFrom: isGeneration(raw.restoredFrom) ? raw.restoredFrom : null,
    };
  } catch {
    return null;
  }
}

/**
 * The generation that holds every write the lease's holders ever acknowledged: the holder's own
 * once it has published it, else the one it restored from (it acknowledged nothing before
 * publishing its own). Null: no lease, or a blog that never had a published generation.
 */
export function liveGenerationOf(record: LeaseRecord | null): string | null {
  return record?.generation ?? record?.restoredFrom ?? null;
}
