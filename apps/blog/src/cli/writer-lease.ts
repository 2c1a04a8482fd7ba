/**
 * The writer lease from the shell (scripts/start.sh, restore helpers). Reads LITESTREAM_REPLICA_URL
 * (a gcs:// URL; any other kind has no lease) and, in tests, STORAGE_EMULATOR_HOST.
 *
 *   writer-lease take        take the lease, newest wins; prints "HOLDER OBJECT_GENERATION RESTORE_GENERATION"
 *                            (RESTORE_GENERATION is "-" when a plain restore is right)
 *   writer-lease generation  prints the generation a restore must use, or nothing for a plain restore:
 *                            litestream restore ${G:+-generation $G} ...
 *
 * Exit 0 on success, 1 with a message on stderr otherwise (bucket unreachable, no gcs:// replica).
 */
import { GcsLeaseStore } from '../durability/writer-lease/gcs-lease-store.js';
import { leaseLocation } from '../durability/writer-lease/lease-record.js';
import { liveGeneration, newHolderId, takeLease } from '../durability/writer-lease/take-lease.js';

const command = process.argv[2];
const location = leaseLocation(process.env.LITESTREAM_REPLICA_URL);

try {
  if (!location) throw new Error('LITESTREAM_REPLICA_URL is not a gcs://bucket/path URL: there is no writer lease');
  const store = new GcsLeaseStore(location, 10_000);
  if (command === 'take') {
    const taken = await takeLease(store, { holder: newHolderId(), revision: process.env.K_REVISION?.trim() || null });
    process.stdout.write(`${taken.record.holder} ${taken.objectGeneration} ${taken.restoreGeneration ?? '-'}\n`);
  } else if (command === 'generation') {
    process.stdout.write(`${(await liveGeneration(store)) ?? ''}\n`);
  } else {
    throw new Error('usage: writer-lease take|generation');
  }
} catch (err) {
  process.stderr.write(`writer-lease: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
