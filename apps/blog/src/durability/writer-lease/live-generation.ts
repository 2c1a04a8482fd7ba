import { GcsLeaseStore } from './gcs-lease-store.js';
import { leaseLocation } from './lease-record.js';
import { liveGeneration } from './take-lease.js';

/**
 * For anything that restores the replica (start.sh through the CLI, `db:pull`, a point-in-time
 * restore): the generation to pass as `litestream restore -generation`, or null when a plain
 * restore is right (no lease: not a gcs:// replica, a blog from before the lease, or the named
 * generation is gone from the bucket).
 */
export async function liveGenerationFor(replicaUrl: string): Promise<string | null> {
  const location = leaseLocation(replicaUrl);
  return location ? liveGeneration(new GcsLeaseStore(location, 10_000)) : null;
}
