import { type Bucket, gcsStatus as status, openBucket } from '../../cloud-storage/bucket.js';
import type { LeaseLocation, LeaseRecord, LeaseStore, StoredLease } from './lease-record.js';
import { isGeneration, parseLeaseRecord } from './lease-record.js';
import type { GenerationBucket, GenerationInBucket } from './prune-generations.js';

/**
 * The lease in Cloud Storage through @google-cloud/storage (Application Default Credentials; in
 * tests STORAGE_EMULATOR_HOST points it at the stand-in). The client is loaded on first use only:
 * it is heavy, and neither local runs nor the reader's pages need it.
 */
export class GcsLeaseStore implements LeaseStore, GenerationBucket {
  private bucket: Promise<Bucket> | null = null;

  constructor(
    private readonly location: LeaseLocation,
    /** Per call, retries included: a lease check must answer within a save's wait. */
    private readonly timeoutMs = 5_000,
  ) {}

  async read(): Promise<(StoredLease & { text: string }) | null> {
    const bucket = await this.client();
    try {
      const [metadata] = await bucket.file(this.location.object).getMetadata();
      const objectGeneration = Number(metadata.generation);
      // Read exactly the generation whose number a later write will name.
      const [data] = await bucket.file(this.location.object, { generation: objectGeneration }).download();
      const text = data.toString('utf8');
      return { objectGeneration, record: parseLeaseRecord(text), text };
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  async currentGeneration(): Promise<number> {
    try {
      const [metadata] = await (await this.client()).file(this.location.object).getMetadata();
      return Number(metadata.generation);
    } catch (err) {
      if (status(err) === 404) return 0;
      throw err;
    }
  }

  async write(record: LeaseRecord, ifGeneration: number) {
    const file = (await this.client()).file(this.location.object);
    const text = `${JSON.stringify(record, null, 2)}\n`;
    try {
      await file.save(text, {
        resumable: false,
        contentType: 'application/json',
        metadata: { cacheControl: 'no-store' },
        preconditionOpts: { ifGenerationMatch: ifGeneration },
      });
      return { written: true as const, objectGeneration: Number(file.metadata.generation) };
    } catch (err) {
      if (status(err) !== 412) throw err;
      // The client retries a write whose answer was lost; if the first attempt was applied, the retry
      // meets our own write and gets 412. Our record (random holder, start time) is unique: finding
      // exactly it in the bucket means the write happened.
      const current = await this.read().catch(() => null);
      if (current?.text === text) return { written: true as const, objectGeneration: current.objectGeneration };
      return { written: false as const };
    }
  }

  async hasSnapshot(generation: string): Promise<boolean> {
    const [files] = await (
      await this.client()
    ).getFiles({
      prefix: `${this.location.replicaPath}/generations/${generation}/snapshots/`,
      maxResults: 1,
      autoPaginate: false,
    });
    return files.length > 0;
  }

  /** Litestream's generations under the replica path (`<path>/generations/<gen>/…`), listed in one go. */
  async generations(): Promise<GenerationInBucket[]> {
    const prefix = `${this.location.replicaPath}/generations/`;
    const [files] = await (await this.client()).getFiles({ prefix, autoPaginate: true });
    const found = new Map<string, GenerationInBucket>();
    for (const file of files) {
      const generation = file.name.slice(prefix.length).split('/')[0];
      if (!isGeneration(generation)) continue;
      const entry = found.get(generation) ?? { generation, objects: 0, bytes: 0, lastWrite: new Date(0) };
      entry.objects++;
      entry.bytes += Number(file.metadata.size ?? 0);
      const written = new Date(String(file.metadata.updated ?? file.metadata.timeCreated ?? 0));
      if (written > entry.lastWrite) entry.lastWrite = written;
      found.set(generation, entry);
    }
    return [...found.values()];
  }

  /** Deletes every object of one generation; resolves to how many were deleted. */
  async deleteGeneration(generation: string): Promise<number> {
    if (!isGeneration(generation)) throw new Error(`not a generation: ${generation}`);
    const bucket = await this.client();
    const [files] = await bucket.getFiles({
      prefix: `${this.location.replicaPath}/generations/${generation}/`,
      autoPaginate: true,
    });
    for (const file of files) await file.delete({ ignoreNotFound: true });
    return files.length;
  }

  private client(): Promise<Bucket> {
    this.bucket ??= Promise.resolve().then(() => openBucket(this.location.bucket, this.timeoutMs));
    return this.bucket;
  }
}
