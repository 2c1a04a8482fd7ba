/**
 * The writer lease from the shell (scripts/start.sh, restore helpers). Reads LITESTREAM_REPLICA_URL
 * and, in tests, STORAGE_EMULATOR_HOST.
 *
 *   writer-lease take        take the lease, newest wins (gcs:// replicas only); prints
 *                            "HOLDER OBJECT_GENERATION RESTORE_GENERATION" ("-": restore plainly)
 *   writer-lease generation  prints the generation a restore must use, or an empty line when a plain
 *                            restore is right: litestream restore ${G:+-generation $G} ...
 *
 * Exit 0 on success, 1 with a message on stderr otherwise (bucket unreachable, bad usage).
 */
import { GcsLeaseStore } from '../durability/writer-lease/gcs-lease-store.js';
import { leaseLocation } from '../durability/writer-lease/lease-record.js';
import { liveGenerationFor } from '../durability/writer-lease/live-generation.js';
import { newHolderId, takeLease } from '../durability/writer-lease/take-lease.js';

const command = process.argv[2];
const replicaUrl = process.env.LITESTREAM_REPLICA_URL?.trim() ?? '';

try {
  if (command === 'take') {
    const location = leaseLocation(replicaUrl);
    if (!location) throw new Error('LITESTREAM_REPLICA_URL is not a gcs://bucket/path URL: there is no writer lease');
    const taken = await takeLease(new GcsLeaseStore(location, 10_000), {
      holder: newHolderId(),
      revision: process.env.K_REVISION?.trim() || null,
    });
    process.stdout.write(`${taken.record.holder} ${taken.objectGeneration} ${taken.restoreGeneration ?? '-'}\n`);
  } else if (command === 'generation') {
    if (!replicaUrl) throw new Error('LITESTREAM_REPLICA_URL is not set');
    process.stdout.write(`${(await liveGenerationFor(replicaUrl)) ?? ''}\n`);
  } else {
    throw new Error('usage: writer-lease take|generation');
  }
} catch (err) {
  process.stderr.write(`writer-lease: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
