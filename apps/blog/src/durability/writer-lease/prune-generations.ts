/** One Litestream generation in the bucket: its objects' total size and its newest object's time. */
export interface GenerationInBucket {
  generation: string;
  objects: number;
  bytes: number;
  lastWrite: Date;
}

/** The bucket side of pruning (GcsLeaseStore implements it). */
export interface GenerationBucket {
  generations(): Promise<GenerationInBucket[]>;
  deleteGeneration(generation: string): Promise<number>;
}

/** How many generations besides the live one a bucket keeps, at most: a few cold starts of history. */
export const KEEP_GENERATIONS = 4;
/** And none older than this (litestream.yml's `retention`: point-in-time restores go this far back). */
export const KEEP_FOR_MS = 72 * 3600_000;

/**
 * Which generations to delete. Every cold start makes a new generation with a full snapshot, and
 * Litestream 0.3.13 first enforces its own retention one whole `retention-check-interval` after it
 * starts, which an instance that scales to zero never lives to see: left alone, the bucket only grows.
 *
 * Kept: the live generation (the one the lease names: ours, just published) and the one it was
 * restored from, whatever their age; of the others, the KEEP_GENERATIONS most recently written, if
 * written within KEEP_FOR_MS. The caller lists the generations and then confirms it still holds the
 * lease before deleting: a newer instance takes the lease before its Litestream starts a
 * generation, so every listed generation is ours or an older instance's — never a newer one's.
 */
export function generationsToDelete(
  all: GenerationInBucket[],
  keep: { live: string; restoredFrom: string | null },
  now: Date,
): GenerationInBucket[] {
  const others = all
    .filter((g) => g.generation !== keep.live && g.generation !== keep.restoredFrom)
    .sort((a, b) => b.lastWrite.getTime() - a.lastWrite.getTime());
  return others.filter((g, rank) => rank >= KEEP_GENERATIONS || now.getTime() - g.lastWrite.getTime() > KEEP_FOR_MS);
}
