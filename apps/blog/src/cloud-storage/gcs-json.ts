import { randomBytes, randomUUID } from 'node:crypto';

import { accessToken } from './access-token.js';
import { type HttpAnswer, httpCall } from './http-call.js';

/** An object's resource as the JSON API returns it (the fields used here). */
export interface GcsObject {
  name: string;
  generation: string;
  size?: string;
  updated?: string;
  timeCreated?: string;
}

/** A failed call; `code` is the HTTP status, as @google-cloud/storage's errors carry it (gcsStatus). */
export class GcsError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

const MAX_ATTEMPTS = 3;
/** JSON answers (metadata, one page of a listing) and small objects read whole. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;
/** Worth another attempt: the request may not have been applied, or applying it twice is harmless. */
const RETRIED = new Set([408, 429, 500, 502, 503, 504]);

/**
 * One bucket through Cloud Storage's JSON API with node:http (http-call.ts): the few calls the writer lease makes
 * (object metadata, a read, a multipart write with a generation precondition, listings, deletes).
 * Why not @google-cloud/storage: loading it took 250 ms on a quiet machine and 1.4–2.7 s on a
 * loaded one, and the lease is taken on every cold start before Litestream even restores.
 *
 * As the client library does: STORAGE_EMULATOR_HOST (host:port, or a URL) replaces
 * https://storage.googleapis.com, requests carry Application Default Credentials' bearer token
 * (access-token.ts), and a call whose answer did not come back (network error, 408/429/5xx) is
 * retried, up to 3 attempts. Every call made here is safe to repeat: reads, listings, deletes
 * (404 on a repeat is "done"), and writes always carry `ifGenerationMatch` (the caller reads a 412
 * on a repeat, see GcsLeaseStore.write). Each call, retries included, ends within `timeoutMs`.
 */
export class GcsJsonBucket {
  private readonly base: string;

  constructor(
    readonly name: string,
    private readonly timeoutMs: number,
  ) {
    const emulator = process.env.STORAGE_EMULATOR_HOST?.trim().replace(/\/+$/, '');
    this.base = emulator ? (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`) : 'https://storage.googleapis.com';
  }

  /** The object's metadata (its current generation), or a GcsError with code 404. */
  async metadata(object: string): Promise<GcsObject> {
    return this.json(await this.call('GET', this.objectPath(object)));
  }

  /** The object's bytes at exactly `generation`, refused past `maxBytes`. */
  async download(object: string, generation: number, maxBytes: number): Promise<Buffer> {
    return (await this.call('GET', `${this.objectPath(object)}?alt=media&generation=${generation}`, { maxBytes })).body;
  }

  /** Writes the object only if its generation is still `ifGenerationMatch` (0: must not exist yet). */
  async upload(
    object: string,
    data: Buffer,
    options: { contentType: string; cacheControl?: string; ifGenerationMatch: number },
  ): Promise<GcsObject> {
    const boundary = randomBytes(16).toString('hex');
    const metadata = { name: object, contentType: options.contentType, cacheControl: options.cacheControl };
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Type: ${options.contentType}\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    // The name in the query too, as the client library sends it: logs and the tests' stand-in see what is written.
    const query = `uploadType=multipart&name=${encodeURIComponent(object)}&ifGenerationMatch=${options.ifGenerationMatch}`;
    const res = await this.call('POST', `/upload/storage/v1/b/${encodeURIComponent(this.name)}/o?${query}`, {
      body,
      contentType: `multipart/related; boundary=${boundary}`,
    });
    return this.json(res);
  }

  /** One page of objects under `prefix`. */
  async list(prefix: string, options: { maxResults?: number; pageToken?: string } = {}) {
    const query = new URLSearchParams({ prefix });
    if (options.maxResults) query.set('maxResults', String(options.maxResults));
    if (options.pageToken) query.set('pageToken', options.pageToken);
    const page = this.json<{ items?: GcsObject[]; nextPageToken?: string }>(
      await this.call('GET', `/storage/v1/b/${encodeURIComponent(this.name)}/o?${query}`),
    );
    return { items: page.items ?? [], nextPageToken: page.nextPageToken };
  }

  /** Every object under `prefix`, page after page. */
  async listAll(prefix: string): Promise<GcsObject[]> {
    const all: GcsObject[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.list(prefix, { pageToken });
      all.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return all;
  }

  /** Deletes the object; one already gone counts as deleted. */
  async delete(object: string): Promise<void> {
    try {
      await this.call('DELETE', this.objectPath(object));
    } catch (err) {
      if ((err as GcsError).code !== 404) throw err;
    }
  }

  private objectPath(object: string): string {
    return `/storage/v1/b/${encodeURIComponent(this.name)}/o/${encodeURIComponent(object)}`;
  }

  private json<T = GcsObject>(res: { body: Buffer }): T {
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  private async call(
    method: string,
    path: string,
    options: { body?: Buffer; contentType?: string; maxBytes?: number } = {},
  ): Promise<HttpAnswer> {
    const deadline = Date.now() + this.timeoutMs;
    // Why: the same id on every attempt tells the server (and the tests' stand-in) that a repeat is a retry.
    const invocation = randomUUID();
    let last: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const token = await accessToken(deadline);
        const res = await httpCall(this.base + path, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            'x-goog-api-client': `gl-node/${process.versions.node} gccl-invocation-id/${invocation} gccl-attempt-count/${attempt}`,
            ...(options.contentType ? { 'Content-Type': options.contentType } : {}),
          },
          body: options.body,
          deadline,
          maxBytes: options.maxBytes ?? MAX_JSON_BYTES,
        });
        if (res.status >= 200 && res.status < 300) return res;
        last = new GcsError(`${method} ${path.split('?')[0]}: ${res.status} ${errorMessage(res.body)}`, res.status);
        if (!RETRIED.has(res.status)) throw last;
      } catch (err) {
        if ((err instanceof GcsError && !RETRIED.has(err.code ?? 0)) || err instanceof RangeError) throw err;
        // A timeout ends the call: its whole budget is spent.
        if ((err as Error).name === 'TimeoutError' || Date.now() >= deadline) throw err;
        last = err;
      }
      const delay = Math.min(1000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (attempt === MAX_ATTEMPTS || Date.now() + delay >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    throw last;
  }
}

function errorMessage(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString('utf8')) as { error?: { message?: unknown } }).error?.message ?? '');
  } catch {
    return body.toString('utf8').slice(0, 200);
  }
}
