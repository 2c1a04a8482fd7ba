import { GcsJsonBucket } from '../../cloud-storage/gcs-json.js';
import { gcsStatus as status } from '../../cloud-storage/bucket.js';
import type { LeaseLocation, LeaseRecord, LeaseStore, StoredLease } from './lease-record.js';
import { isGeneration, parseLeaseRecord } from './lease-record.js';
import type { GenerationBucket, GenerationInBucket } from './prune-generations.js';

/** A lease is a few hundred bytes; anything far larger is not one. */
const MAX_LEASE_BYTES = 64 * 1024;

/**
 * The lease in Cloud Storage through the JSON API on node:http (cloud-storage/gcs-json.ts: the
 * metadata server's token on Cloud Run, Application Default Credentials elsewhere; in tests
 * STORAGE_EMULATOR_HOST points it at the stand-in). Not @google-cloud/storage: start.sh takes the
 * lease on every cold start, and loading that client cost more than the lease's calls.
 */
export class GcsLeaseStore implements LeaseStore, GenerationBucket {
  private readonly bucket: GcsJsonBucket;

  constructor(
    private readonly location: LeaseLocation,
    /** Per call, retries included: a lease check must answer within a save's wait. */
    timeoutMs = 5_000,
  ) {
    this.bucket = new GcsJsonBucket(location.bucket, timeoutMs);
  }

  async read(): Promise<(StoredLease & { text: string }) | null> {
    try {
      const metadata = await this.bucket.metadata(this.location.object);
      const objectGeneration = Number(metadata.generation);
      // Read exactly the generation whose number a later write will name.
      const data = await this.bucket.download(this.location.object, objectGeneration, MAX_LEASE_BYTES);
      const text = data.toString('utf8');
      return { objectGeneration, record: parseLeaseRecord(text), text };
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  async currentGeneration(): Promise<number> {
    try {
      return Number((await this.bucket.metadata(this.location.object)).generation);
    } catch (err) {
      if (status(err) === 404) return 0;
      throw err;
    }
  }

  async write(record: LeaseRecord, ifGeneration: number) {
    const text = `${JSON.stringify(record, null, 2)}\n`;
    try {
      const written = await this.bucket.upload(this.location.object, Buffer.from(text), {
        contentType: 'application/json',
        cacheControl: 'no-store',
        ifGenerationMatch: ifGeneration,
      });
      return { written: true as const, objectGeneration: Number(written.generation) };
    } catch (err) {
      if (status(err) !== 412) throw err;
      // A write whose answer was lost is retried (gcs-json.ts); if the first attempt was applied, the retry
      // meets our own write and gets 412. Our record (random holder, start time) is unique: finding
      // exactly it in the bucket means the write happened.
      const current = await this.read().catch(() => null);
      if (current?.text === text) return { written: true as const, objectGeneration: current.objectGeneration };
      return { written: false as const };
    }
  }

  async hasSnapshot(generation: string): Promise<boolean> {
    const prefix = `${this.location.replicaPath}/generations/${generation}/snapshots/`;
    return (await this.bucket.list(prefix, { maxResults: 1 })).items.length > 0;
  }

  /** Litestream's generations under the replica path (`<path>/generations/<gen>/…`), listed in one go. */
  async generations(): Promise<GenerationInBucket[]> {
    const prefix = `${this.location.replicaPath}/generations/`;
    const files = await this.bucket.listAll(prefix);
    const found = new Map<string, GenerationInBucket>();
    for (const file of files) {
      const generation = file.name.slice(prefix.length).split('/')[0];
      if (!isGeneration(generation)) continue;
      const entry = found.get(generation) ?? { generation, objects: 0, bytes: 0, lastWrite: new Date(0) };
      entry.objects++;
      entry.bytes += Number(file.size ?? 0);
      const written = new Date(String(file.updated ?? file.timeCreated ?? 0));
      if (written > entry.lastWrite) entry.lastWrite = written;
      found.set(generation, entry);
    }
    return [...found.values()];
  }

  /** Deletes every object of one generation; resolves to how many were deleted. */
  async deleteGeneration(generation: string): Promise<number> {
    if (!isGeneration(generation)) throw new Error(`not a generation: ${generation}`);
    const files = await this.bucket.listAll(`${this.location.replicaPath}/generations/${generation}/`);
    for (const file of files) await this.bucket.delete(file.name);
    return files.length;
  }
}
