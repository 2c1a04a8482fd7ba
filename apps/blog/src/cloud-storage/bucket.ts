import { createRequire } from 'node:module';

import { pinMetadataServerForClients } from './access-token.js';

type StorageModule = typeof import('@google-cloud/storage');
export type Bucket = import('@google-cloud/storage').Bucket;

// Why require and not import(): the package's CommonJS build loads in about half the time of its
// ESM build (~200 ms against ~450 ms here), and the lease is on every cold start's path.
const requireCjs = createRequire(import.meta.url);

/**
 * One bucket through @google-cloud/storage (Application Default Credentials; in tests
 * STORAGE_EMULATOR_HOST points it at the stand-in), for the media store: streams, resumable
 * uploads of large originals. The writer lease speaks the JSON API through node:http instead
 * (gcs-json.ts): it runs on every cold start, where loading this client cost more than its calls.
 * `timeoutMs` bounds each call, retries included.
 */
export function openBucket(name: string, timeoutMs: number): Bucket {
  const { Storage } = requireCjs('@google-cloud/storage') as StorageModule;
  pinMetadataServerForClients();
  // Tests: STORAGE_EMULATOR_HOST is host:port (Litestream's Go client form). The Node client would
  // use it as its base URL without the /storage/v1 prefix; as an endpoint it keeps the real paths
  // — and with useAuthWithCustomEndpoint it still authenticates as in production (Application
  // Default Credentials; the tests' stand-in issues tokens from its metadata route, found with
  // GCE_METADATA_HOST). The client reads the variable only while it is constructed; it is put
  // back for the processes we start (Litestream).
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  delete process.env.STORAGE_EMULATOR_HOST;
  try {
    const storage = new Storage({
      ...(emulator
        ? { apiEndpoint: /^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`, useAuthWithCustomEndpoint: true }
        : {}),
      timeout: timeoutMs,
      retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: timeoutMs / 1000, maxRetryDelay: 1 },
    });
    return storage.bucket(name);
  } finally {
    if (emulator !== undefined) process.env.STORAGE_EMULATOR_HOST = emulator;
  }
}

/** The HTTP status a client call failed with, if it carried one (this client's errors and GcsError). */
export function gcsStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
