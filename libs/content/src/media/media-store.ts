import type { Readable } from 'node:stream';

/** One object in the media store. */
export interface StoredObject {
  key: string;
  size: number;
  /** When it was written: the orphan sweep leaves young objects alone (an upload may be in flight). */
  updated: Date;
}

/**
 * Where image bytes live: a folder beside the database locally, a prefix of the blog's bucket in
 * production (apps/blog/src/media/). Objects are immutable and content-addressed (see media-keys.ts),
 * so writing one twice is harmless and no object is ever changed in place.
 */
export interface MediaStore {
  /** e.g. `gcs://bucket/media` or a folder path: for logs and the admin page. */
  readonly location: string;
  /** Resolves once the bytes are durable (GCS: the upload returned; folder: written, synced, renamed). */
  put(key: string, data: Buffer, contentType: string): Promise<void>;
  /** The whole object, or null if there is none. */
  read(key: string): Promise<Buffer | null>;
  /** The object as a stream (large originals); emits an error if it is missing. */
  stream(key: string): Readable;
  /** Deletes an object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `keyPrefix` (all of them by default). */
  list(keyPrefix?: string): Promise<StoredObject[]>;
}

/** Nest token for the MediaStore the app provides (the app chooses the folder or the bucket). */
export const MEDIA_STORE = Symbol('MEDIA_STORE');
