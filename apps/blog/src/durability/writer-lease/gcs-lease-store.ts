import { createRequire } from 'node:module';

import type { LeaseLocation, LeaseRecord, LeaseStore, StoredLease } from './lease-record.js';
import { isGeneration, parseLeaseRecord } from './lease-record.js';
import type { GenerationBucket, GenerationInBucket } from './prune-generations.js';

type StorageModule = typeof import('@google-cloud/storage');
type Bucket = import('@google-cloud/storage').Bucket;

// Why require and not import(): the package's CommonJS build loads in about half the time of its
// ESM build (~200 ms against ~450 ms here), and the lease is on every cold start's path.
const requireCjs = createRequire(import.meta.url);

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

  async read(): Promise<StoredLease | null> {
    const bucket = await this.client();
    try {
      const [metadata] = await bucket.file(this.location.object).getMetadata();
      const objectGeneration = Number(metadata.generation);
      // Read exactly the generation whose number a later write will name.
      const [data] = await bucket.file(this.location.object, { generation: objectGeneration }).download();
      return { objectGeneration, record: parseLeaseRecord(data.toString('utf8')) };
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
    try {
      await file.save(`${JSON.stringify(record, null, 2)}\n`, {
        resumable: false,
        contentType: 'application/json',
        metadata: { cacheControl: 'no-store' },
        preconditionOpts: { ifGenerationMatch: ifGeneration },
      });
      return { written: true as const, objectGeneration: Number(file.metadata.generation) };
    } catch (err) {
      if (status(err) === 412) return { written: false as const };
      throw err;
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
    this.bucket ??= Promise.resolve().then(() => {
      const { Storage } = requireCjs('@google-cloud/storage') as StorageModule;
      // Tests: STORAGE_EMULATOR_HOST is host:port (Litestream's Go client form). The Node client would
      // use it as its base URL without the /storage/v1 prefix; as an endpoint it keeps the real paths
      // (and, being a custom endpoint, sends no credentials). The client reads the variable only
      // while it is constructed; it is put back for the processes we start (Litestream).
      const emulator = process.env.STORAGE_EMULATOR_HOST;
      delete process.env.STORAGE_EMULATOR_HOST;
      let storage: InstanceType<StorageModule['Storage']>;
      try {
        storage = new Storage({
          ...(emulator ? { apiEndpoint: /^https?:\/\//.test(emulator) ? emulator : `http://${emulator}` } : {}),
          timeout: this.timeoutMs,
          retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: this.timeoutMs / 1000, maxRetryDelay: 1 },
        });
      } finally {
        if (emulator !== undefined) process.env.STORAGE_EMULATOR_HOST = emulator;
      }
      return storage.bucket(this.location.bucket);
    });
    return this.bucket;
  }
}

function status(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
