import type { Readable } from 'node:stream';

import type { MediaStore, StoredObject } from '@app/content';

import { type Bucket, gcsStatus, openBucket } from '../cloud-storage/bucket.js';
import { failWhenStalled } from './stall-timeout.js';

/** Objects never change under a name (media-keys.ts), so anything in between may keep them. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Production: one object per image or rendition under a prefix of the blog's bucket, through the
 * same client and credentials as the writer lease (cloud-storage/bucket.ts).
 */
export class GcsMediaStore implements MediaStore {
  readonly location: string;
  private bucket: Bucket | null = null;

  constructor(
    private readonly bucketName: string,
    /** No leading or trailing slash. */
    private readonly prefix: string,
    /** Per call, retries included: a 10 MB original on a slow link. */
    private readonly timeoutMs = 60_000,
    /** A download that stops giving bytes for this long fails (see stream()). */
    private readonly stallMs = 10_000,
  ) {
    this.location = `gcs://${bucketName}/${prefix}`;
  }

  async put(key: string, data: Buffer, contentType: string): Promise<void> {
    try {
      await this.file(key).save(data, {
        resumable: false,
        contentType,
        metadata: { cacheControl: IMMUTABLE },
        // "Must not exist yet": makes the write safe for the client to retry (it retries only
        // idempotent writes), and a 412 means the same content is already there.
        preconditionOpts: { ifGenerationMatch: 0 },
      });
    } catch (err) {
      if (gcsStatus(err) !== 412) throw err;
    }
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      const [data] = await this.file(key).download();
      return data;
    } catch (err) {
      if (gcsStatus(err) === 404) return null;
      throw err;
    }
  }

  stream(key: string): Readable {
    // Why the stall bound: when the bucket's connection is cut half-way, this client's stream
    // neither ends nor errors (@google-cloud/storage 7.22, its timeout included; tried against a
    // reset after 512 KB), and the reader's request would hang with it for good.
    return failWhenStalled(this.file(key).createReadStream({ validation: false }), this.stallMs);
  }

  async delete(key: string): Promise<void> {
    await this.file(key).delete({ ignoreNotFound: true });
  }

  async list(keyPrefix = ''): Promise<StoredObject[]> {
    const root = `${this.prefix}/`;
    const [files] = await this.client().getFiles({ prefix: `${root}${keyPrefix}`, autoPaginate: true });
    return files.map((f) => ({
      key: f.name.slice(root.length),
      size: Number(f.metadata.size ?? 0),
      updated: new Date(String(f.metadata.updated ?? f.metadata.timeCreated ?? 0)),
    }));
  }

  private file(key: string) {
    return this.client().file(`${this.prefix}/${key}`);
  }

  private client(): Bucket {
    this.bucket ??= openBucket(this.bucketName, this.timeoutMs);
    return this.bucket;
  }
}
