import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An in-memory stand-in for Google Cloud Storage's JSON API (plus the XML media download the Go
 * client uses), on 127.0.0.1. Point clients at it with STORAGE_EMULATOR_HOST=<host>.
 *
 * It serves what Litestream's Go client (cloud.google.com/go/storage v1.31) and the Node
 * @google-cloud/storage client call: list, metadata, media download (JSON `alt=media` and XML),
 * multipart and resumable uploads, delete, metadata patch, object generations and preconditions.
 * Anything else is recorded in `requests` and answered 501, so a gap shows up in a test instead of
 * passing quietly.
 *
 * As strict as GCS where it matters:
 * - Buckets must exist (`buckets` option, `createBucket`): 404 "The specified bucket does not exist".
 * - Every request needs `Authorization: Bearer <token>` with a token this stand-in issued from its
 *   metadata-server route (the way Cloud Run hands the service account's token to the app): 401
 *   otherwise. Point Google's Node auth library at it with GCE_METADATA_HOST (`env` holds both
 *   variables). One exception, declared in `isUnauthenticatedGoClient`: Litestream's Go client
 *   cannot send credentials to an emulator (cloud.google.com/go/storage's NewClient puts
 *   option.WithoutAuthentication() in front of the caller's options whenever STORAGE_EMULATOR_HOST
 *   is set, and Litestream passes none), so its requests are recorded as unauthenticated instead.
 * - Preconditions (ifGenerationMatch, ifGenerationNotMatch, ifMetagenerationMatch,
 *   ifMetagenerationNotMatch; generation 0 = must not exist) on every upload type, download,
 *   delete and metadata patch; 412 with reason conditionNotMet.
 * - Object metadata (cacheControl, contentEncoding, contentDisposition, contentLanguage, custom
 *   metadata) kept and returned, and served as headers on downloads.
 *
 * `unexpected()` lists what a test did not declare: unknown routes, 4xx/5xx answers other than
 * injected faults, unauthenticated requests other than the Go client's.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query string as sent, still URL-encoded. */
  path: string;
  /** The status the stand-in answered (0 while the request is being handled). */
  status: number;
  /** True when no route matched (answered 501). */
  unknown?: boolean;
  /** True when the answer was an injected fault (the status, or the real answer replaced). */
  injected?: boolean;
  /** Whether it carried a bearer token this stand-in issued. */
  authenticated: boolean;
  /** When it arrived (Date.now()). */
  at: number;
  /** When it was answered or cut (Date.now()); undefined while in flight. */
  endedAt?: number;
  headers: IncomingHttpHeaders;
}

/** `GET /path → 404 (authenticated, gcloud-node/…)`: what a failing check prints for a request. */
export function describeRequest(r: RecordedRequest): string {
  const who = [r.authenticated ? 'authenticated' : 'unauthenticated', r.headers['user-agent']].filter(Boolean).join(', ');
  const flags = [r.unknown ? 'unknown route' : '', r.injected ? 'injected' : ''].filter(Boolean).join(', ');
  return `${r.method} ${r.path} → ${r.status} (${who})${flags ? ` [${flags}]` : ''} at ${new Date(r.at).toISOString()}`;
}

export interface StoredObject {
  data: Buffer;
  generation: number;
  metageneration: number;
  contentType: string;
  /** cacheControl, contentEncoding, contentDisposition, contentLanguage: as uploaded. */
  fields: ObjectFields;
  metadata?: Record<string, string>;
  timeCreated: string;
  updated: string;
  md5Hash: string;
  crc32c: string;
}

export interface ObjectFields {
  cacheControl?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
}
const FIELD_NAMES = ['cacheControl', 'contentEncoding', 'contentDisposition', 'contentLanguage'] as const;

export interface FaultOptions {
  /** Status to answer; 503 unless given. */
  status?: number;
  /**
   * Carry the request out first, then lose its answer: the client sees `status` (or a reset
   * connection with 'reset') although the change was made, as when a response is lost on the way.
   */
  afterApplying?: boolean | 'reset';
  /**
   * A download instead sends its headers (the whole length) and this many bytes of the object, then
   * resets the connection: a read that fails half-way. Other requests are answered as usual.
   */
  cutBodyAfter?: number;
  /** Only requests this returns true for are failed (and counted). */
  match?: (req: { method: string; path: string }) => boolean;
}

export interface GcsStandIn {
  port: number;
  /** "127.0.0.1:PORT", the value for STORAGE_EMULATOR_HOST and GCE_METADATA_HOST. */
  host: string;
  /**
   * The environment a client needs: STORAGE_EMULATOR_HOST, GCE_METADATA_HOST for its token, and
   * GOOGLE_CLOUD_PROJECT (without it Google's auth library spent ~12 s here looking for a project
   * id before it asked the metadata server).
   */
  env: { STORAGE_EMULATOR_HOST: string; GCE_METADATA_HOST: string; GOOGLE_CLOUD_PROJECT: string };
  createBucket(name: string): void;
  /**
   * Requests a test did not declare: unknown routes, answers >= 400 other than injected faults,
   * and unauthenticated requests other than the Go client's. `expected` declares the ones a test
   * provokes (a 412 from a race, a 404 for a lease not written yet).
   */
  unexpected(expected?: (r: RecordedRequest) => boolean): RecordedRequest[];
  /** A copy of a bucket's objects: name → content. */
  objects(bucket: string): Map<string, Buffer>;
  /** The stored object with its generation and hashes, or undefined. */
  object(bucket: string, name: string): StoredObject | undefined;
  /** Seeds an object as if it had been uploaded (the bucket must exist). */
  putObject(bucket: string, name: string, data: Buffer, contentType?: string): StoredObject;
  requests: RecordedRequest[];
  /** Answers the next `count` (matching) requests with an error; `Infinity` for every request. */
  failNext(count: number, options?: FaultOptions): void;
  /** Drops any pending faults. */
  clearFaults(): void;
  /** Holds every matching request `ms` before answering it (a slow bucket, or one slow object); 0 stops it. */
  slowDown(ms: number, match?: (req: { method: string; path: string }) => boolean): void;
  /**
   * Holds the next `count` matching requests until all `count` have arrived, then answers them
   * together: two clients then see the same state, to race deterministically.
   */
  barrier(count: number, match: (req: { method: string; path: string }) => boolean): void;
  stop(): Promise<void>;
}

interface UploadSession {
  bucket: string;
  name: string;
  contentType: string;
  fields: ObjectFields;
  metadata?: Record<string, string>;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
  done?: StoredObject;
}

interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly extraHeaders: Record<string, string> = {},
    /** The XML API's error code, when it is not the usual one for the status. */
    readonly xmlCode?: string,
  ) {
    super(message);
  }
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum GCS reports; zlib's crc32 is the IEEE polynomial. */
export function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function crc32cBase64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(data));
  return out.toString('base64');
}

/** Stands in for a response whose answer will be lost: the route's answer goes nowhere. */
function answerSink(): ServerResponse {
  const sink = { headersSent: false, writeHead: () => sink, setHeader: () => sink, end: () => sink };
  return sink as unknown as ServerResponse;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function numberParam(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new HttpError(400, `Invalid number: ${value}`, 'invalid');
  return n;
}

function preconditionsFrom(query: URLSearchParams, headers?: IncomingMessage['headers']): Preconditions {
  const header = (name: string) => {
    const v = headers?.[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    ifGenerationMatch: numberParam(query.get('ifGenerationMatch') ?? header('x-goog-if-generation-match')),
    ifGenerationNotMatch: numberParam(query.get('ifGenerationNotMatch')),
    ifMetagenerationMatch: numberParam(query.get('ifMetagenerationMatch') ?? header('x-goog-if-metageneration-match')),
    ifMetagenerationNotMatch: numberParam(query.get('ifMetagenerationNotMatch')),
  };
}

/** Throws 412 (or 304 for a read with ifGenerationNotMatch) the way GCS does. */
function checkPreconditions(p: Preconditions, existing: StoredObject | undefined, read = false): void {
  const generation = existing?.generation ?? 0;
  const failed = () => new HttpError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== generation) throw failed();
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === generation) {
    if (read) throw new HttpError(304, 'Not Modified', 'notModified');
    throw failed();
  }
  if (p.ifMetagenerationMatch !== undefined && (!existing || p.ifMetagenerationMatch !== existing.metageneration)) {
    throw failed();
  }
  if (p.ifMetagenerationNotMatch !== undefined && existing && p.ifMetagenerationNotMatch === existing.metageneration) {
    if (read) throw new HttpError(304, 'Not Modified', 'notModified');
    throw failed();
  }
}

/** Splits a multipart/related body into its parts' headers and bodies. */
function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!match) throw new HttpError(400, 'multipart body without a boundary', 'invalid');
  const delimiter = Buffer.from(`--${match[1] ?? match[2].trim()}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    let partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    if (body.subarray(partStart, partStart + 2).toString() === '\r\n') partStart += 2;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    // The part ends before the CRLF that precedes the next delimiter.
    const partEnd = body.subarray(next - 2, next).toString() === '\r\n' ? next - 2 : next;
    const part = body.subarray(partStart, partEnd);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    const rawHeaders = headerEnd === -1 ? '' : part.subarray(0, headerEnd).toString();
    for (const line of rawHeaders.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: headerEnd === -1 ? part : part.subarray(headerEnd + 4) });
    start = next;
  }
  return parts;
}

interface ObjectMetadataInput extends ObjectFields {
  name?: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

function fieldsOf(meta: ObjectMetadataInput): ObjectFields {
  const fields: ObjectFields = {};
  for (const key of FIELD_NAMES) if (typeof meta[key] === 'string') fields[key] = meta[key];
  return fields;
}

/**
 * Litestream's Go client (cloud.google.com/go/storage) against an emulator: it cannot send
 * credentials there (see the file's comment). Recognised by the client library header it sends.
 */
export function isUnauthenticatedGoClient(headers: IncomingHttpHeaders): boolean {
  if (headers.authorization !== undefined) return false;
  // Seen from Litestream 0.3.13 on the JSON API: "gccl-invocation-id/… gl-go/1.21.3 gccl/1.31.0";
  // the chunks of its resumable uploads come from the generated API client underneath:
  // "gl-go/1.21.3 gdcl/0.135.0 gccl-invocation-id/…"; its XML downloads go through Go's plain HTTP
  // client ("Go-http-client/1.1", no such header).
  const client = String(headers['x-goog-api-client'] ?? '');
  return (
    (/(^| )gl-go\//.test(client) && /(^| )(gccl|gdcl)\//.test(client)) ||
    /^Go-http-client\//.test(String(headers['user-agent'] ?? ''))
  );
}

function parseJson(body: Buffer): ObjectMetadataInput {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as ObjectMetadataInput;
  } catch {
    throw new HttpError(400, 'Invalid JSON metadata', 'parseError');
  }
}

export async function startGcsStandIn(options: { buckets?: string[] } = {}): Promise<GcsStandIn> {
  const buckets = new Map<string, Map<string, StoredObject>>((options.buckets ?? []).map((name) => [name, new Map()]));
  const sessions = new Map<string, UploadSession>();
  const requests: RecordedRequest[] = [];
  const tokens = new Set<string>();
  const faults: {
    remaining: number;
    status: number;
    afterApplying?: FaultOptions['afterApplying'];
    cutBodyAfter?: number;
    match?: FaultOptions['match'];
  }[] = [];
  const barriers: {
    count: number;
    match: (req: { method: string; path: string }) => boolean;
    /** Held requests by client invocation (retries of one call share it). */
    waiting: Map<unknown, (() => void)[]>;
  }[] = [];
  let slow: { ms: number; match?: (req: { method: string; path: string }) => boolean } = { ms: 0 };
  // Real generations are microsecond timestamps; strictly increasing is what matters.
  let lastGeneration = Date.now() * 1000;

  const bucket = (name: string) => {
    const b = buckets.get(name);
    if (!b) throw new HttpError(404, 'The specified bucket does not exist.', 'notFound', {}, 'NoSuchBucket');
    return b;
  };

  const store = (
    bucketName: string,
    name: string,
    data: Buffer,
    contentType: string,
    fields: ObjectFields,
    metadata: Record<string, string> | undefined,
    preconditions: Preconditions,
  ): StoredObject => {
    const objects = bucket(bucketName);
    checkPreconditions(preconditions, objects.get(name));
    const now = new Date().toISOString();
    const stored: StoredObject = {
      data,
      generation: ++lastGeneration,
      metageneration: 1,
      contentType,
      fields,
      metadata,
      timeCreated: now,
      updated: now,
      md5Hash: createHash('md5').update(data).digest('base64'),
      crc32c: crc32cBase64(data),
    };
    objects.set(name, stored);
    return stored;
  };

  const resource = (bucketName: string, name: string, o: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucketName}/${name}/${o.generation}`,
    selfLink: `http://${host}/storage/v1/b/${bucketName}/o/${encodeURIComponent(name)}`,
    mediaLink: `http://${host}/download/storage/v1/b/${bucketName}/o/${encodeURIComponent(name)}?generation=${o.generation}&alt=media`,
    name,
    bucket: bucketName,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    ...o.fields,
    storageClass: 'STANDARD',
    size: String(o.data.length),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
    ...(o.metadata ? { metadata: o.metadata } : {}),
  });

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: ServerResponse, err: HttpError, xml: boolean) => {
    if (err.status === 304) {
      res.writeHead(304, err.extraHeaders);
      res.end();
      return;
    }
    if (xml) {
      const code = err.xmlCode ?? (err.status === 404 ? 'NoSuchKey' : err.status === 412 ? 'PreconditionFailed' : err.reason);
      const text = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${err.message}</Message></Error>`;
      res.writeHead(err.status, { 'Content-Type': 'application/xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    sendJson(
      res,
      err.status,
      {
        error: {
          code: err.status,
          message: err.message,
          errors: [{ message: err.message, domain: 'global', reason: err.reason }],
        },
      },
      err.extraHeaders,
    );
  };

  const notFound = (bucketName: string, name: string) => new HttpError(404, `No such object: ${bucketName}/${name}`, 'notFound');

  const getObject = (bucketName: string, name: string, query: URLSearchParams) => {
    const o = bucket(bucketName).get(name);
    const wanted = numberParam(query.get('generation'));
    if (!o || (wanted !== undefined && wanted !== o.generation)) throw notFound(bucketName, name);
    return o;
  };

  const sendMedia = (req: IncomingMessage, res: ServerResponse, o: StoredObject, cutBodyAfter?: number) => {
    const headers: Record<string, string> = {
      'Content-Type': o.contentType,
      ...(o.fields.cacheControl ? { 'Cache-Control': o.fields.cacheControl } : {}),
      ...(o.fields.contentEncoding ? { 'Content-Encoding': o.fields.contentEncoding } : {}),
      ...(o.fields.contentDisposition ? { 'Content-Disposition': o.fields.contentDisposition } : {}),
      ...(o.fields.contentLanguage ? { 'Content-Language': o.fields.contentLanguage } : {}),
      'Last-Modified': new Date(o.updated).toUTCString(),
      ETag: `"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"`,
      'X-Goog-Generation': String(o.generation),
      'X-Goog-Metageneration': String(o.metageneration),
      'X-Goog-Hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
      'X-Goog-Stored-Content-Encoding': 'identity',
      'X-Goog-Stored-Content-Length': String(o.data.length),
      'X-Goog-Storage-Class': 'STANDARD',
      'Accept-Ranges': 'bytes',
    };
    const size = o.data.length;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] !== '' || range[2] !== '')) {
      let start: number;
      let end: number;
      if (range[1] === '') {
        start = Math.max(0, size - Number(range[2]));
        end = size - 1;
      } else {
        start = Number(range[1]);
        end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      }
      if (start >= size && size > 0) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      if (size > 0) {
        const body = o.data.subarray(start, end + 1);
        // The hash covers the whole object: clients check it only on a full read.
        res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': body.length });
        res.end(body);
        return;
      }
    }
    res.writeHead(200, { ...headers, 'Content-Length': size });
    if (cutBodyAfter !== undefined) {
      res.write(o.data.subarray(0, cutBodyAfter), () => res.destroy());
      return;
    }
    res.end(o.data);
  };

  const list = (res: ServerResponse, bucketName: string, query: URLSearchParams) => {
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const startOffset = query.get('startOffset') ?? '';
    const endOffset = query.get('endOffset') ?? '';
    const maxResults = Math.min(numberParam(query.get('maxResults')) ?? 1000, 1000);
    const token = query.get('pageToken');
    const after = token ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as { key: string; prefix: boolean }) : null;

    const names = [...bucket(bucketName).keys()].sort();
    const items: ReturnType<typeof resource>[] = [];
    const prefixes: string[] = [];
    let last: { key: string; prefix: boolean } | null = null;
    let more = false;
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      if (startOffset && name < startOffset) continue;
      if (endOffset && name >= endOffset) continue;
      if (after && (name <= after.key || (after.prefix && name.startsWith(after.key)))) continue;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      const entry = cut === -1 ? { key: name, prefix: false } : { key: name.slice(0, cut + delimiter.length), prefix: true };
      if (entry.prefix && last?.prefix && last.key === entry.key) continue;
      if (items.length + prefixes.length >= maxResults) {
        more = true;
        break;
      }
      if (entry.prefix) prefixes.push(entry.key);
      else items.push(resource(bucketName, name, bucket(bucketName).get(name)!));
      last = entry;
    }
    sendJson(res, 200, {
      kind: 'storage#objects',
      ...(items.length ? { items } : {}),
      ...(prefixes.length ? { prefixes } : {}),
      ...(more && last ? { nextPageToken: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}),
    });
  };

  const upload = (req: IncomingMessage, res: ServerResponse, bucketName: string, query: URLSearchParams, body: Buffer) => {
    const uploadType = query.get('uploadType');
    const preconditions = preconditionsFrom(query);
    if (uploadType === 'media') {
      const name = query.get('name');
      if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
      const stored = store(
        bucketName,
        name,
        body,
        String(req.headers['content-type'] ?? 'application/octet-stream'),
        {},
        undefined,
        preconditions,
      );
      sendJson(res, 200, resource(bucketName, name, stored));
      return;
    }
    if (uploadType === 'multipart') {
      const parts = parseMultipart(body, String(req.headers['content-type'] ?? ''));
      if (parts.length < 2) throw new HttpError(400, 'multipart upload needs metadata and media parts', 'invalid');
      const meta = parseJson(parts[0].body);
      const name = meta.name ?? query.get('name');
      if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
      const contentType = meta.contentType ?? parts[1].headers['content-type'] ?? 'application/octet-stream';
      const stored = store(bucketName, name, parts[1].body, contentType, fieldsOf(meta), meta.metadata, preconditions);
      sendJson(res, 200, resource(bucketName, name, stored));
      return;
    }
    if (uploadType === 'resumable') {
      const meta = parseJson(body);
      const name = meta.name ?? query.get('name');
      if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
      checkPreconditions(preconditions, bucket(bucketName).get(name));
      const id = randomBytes(12).toString('hex');
      sessions.set(id, {
        bucket: bucketName,
        name,
        contentType: meta.contentType ?? String(req.headers['x-upload-content-type'] ?? 'application/octet-stream'),
        fields: fieldsOf(meta),
        metadata: meta.metadata,
        preconditions,
        chunks: [],
        received: 0,
      });
      const location = `http://${req.headers.host ?? host}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&upload_id=${id}`;
      res.writeHead(200, { Location: location, 'X-GUploader-UploadID': id, 'Content-Length': 0 });
      res.end();
      return;
    }
    throw new HttpError(400, `Unsupported uploadType: ${uploadType}`, 'invalid');
  };

  /** A PUT to a resumable session URI: one chunk, a status query, or the final chunk. */
  const resumableChunk = (req: IncomingMessage, res: ServerResponse, id: string, body: Buffer) => {
    const session = sessions.get(id);
    if (!session) throw new HttpError(404, 'No such upload session', 'notFound');
    if (session.done) {
      sendJson(res, 200, resource(session.bucket, session.name, session.done));
      return;
    }
    const header = String(
      req.headers['content-range'] ?? (body.length ? `bytes 0-${body.length - 1}/${body.length}` : 'bytes */0'),
    );
    const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header.trim());
    if (!m) throw new HttpError(400, `Invalid Content-Range: ${header}`, 'invalid');
    const total = m[3] === '*' ? undefined : Number(m[3]);
    if (m[1] !== undefined) {
      const first = Number(m[1]);
      const lastByte = Number(m[2]);
      if (lastByte - first + 1 !== body.length) throw new HttpError(400, 'Content-Range does not match the body', 'invalid');
      if (first > session.received) throw new HttpError(400, `Expected a chunk at byte ${session.received}`, 'invalid');
      // A retried chunk may overlap what is already stored: keep only the new bytes.
      const fresh = body.subarray(session.received - first);
      if (fresh.length) session.chunks.push(fresh);
      session.received += fresh.length;
    }
    if (total !== undefined && session.received >= total) {
      const data = Buffer.concat(session.chunks).subarray(0, total);
      session.done = store(
        session.bucket,
        session.name,
        data,
        session.contentType,
        session.fields,
        session.metadata,
        session.preconditions,
      );
      session.chunks = [];
      sendJson(res, 200, resource(session.bucket, session.name, session.done));
      return;
    }
    const range: Record<string, string> = session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {};
    // Why: the Go client sends X-GUploader-No-308 because some HTTP stacks mishandle a 308 without
    // Location; GCS then answers 200 and puts the real status in this header.
    if (String(req.headers['x-guploader-no-308'] ?? '').toLowerCase() === 'yes') {
      res.writeHead(200, { ...range, 'X-Http-Status-Code-Override': '308', 'Content-Length': 0 });
    } else {
      res.writeHead(308, { ...range, 'Content-Length': 0 });
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, realRes: ServerResponse, record: RecordedRequest) => {
    let res = realRes;
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query = url.searchParams;
    const rawPath = (req.url ?? '/').split('?')[0];
    const segments = rawPath.split('/').slice(1);
    const method = req.method ?? 'GET';
    const seg = (i: number) => decodeURIComponent(segments[i] ?? '');
    // Object names may contain "/": join the rest and decode once.
    const rest = (i: number) => decodeURIComponent(segments.slice(i).join('/'));

    // A client that times out while held retries with the same invocation id: the retry takes its
    // first attempt's place instead of counting as a second client.
    const invocation = /gccl-invocation-id\/(\S+)/.exec(String(req.headers['x-goog-api-client'] ?? ''))?.[1] ?? record;
    const barrier = barriers.find(
      (b) => b.waiting.size < b.count && (b.waiting.has(invocation) || b.match({ method, path: record.path })),
    );
    if (barrier) {
      await new Promise<void>((resolve) => {
        const earlier = barrier.waiting.get(invocation) ?? [];
        barrier.waiting.set(invocation, [...earlier, resolve]);
        if (barrier.waiting.size === barrier.count) {
          barriers.splice(barriers.indexOf(barrier), 1);
          for (const releases of barrier.waiting.values()) for (const release of releases) release();
        }
      });
    }

    // The metadata server's token route (GCE_METADATA_HOST): how Cloud Run gives the app its token.
    if (segments[0] === 'computeMetadata') {
      if (req.headers['metadata-flavor'] !== 'Google') throw new HttpError(403, 'Missing Metadata-Flavor: Google', 'forbidden');
      const flavor = { 'Metadata-Flavor': 'Google' };
      if (rawPath === '/computeMetadata/v1/instance' || rawPath === '/computeMetadata/v1/instance/') {
        res.writeHead(200, { ...flavor, 'Content-Type': 'application/text' });
        res.end('');
        return;
      }
      if (rawPath === '/computeMetadata/v1/instance/service-accounts/default/token') {
        const token = `stand-in-${randomBytes(16).toString('hex')}`;
        tokens.add(token);
        return sendJson(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' }, flavor);
      }
      if (rawPath === '/computeMetadata/v1/project/project-id') {
        res.writeHead(200, { ...flavor, 'Content-Type': 'application/text' });
        res.end('inkstone-test-project');
        return;
      }
      if (rawPath === '/computeMetadata/v1/universe/universe-domain') {
        res.writeHead(200, { ...flavor, 'Content-Type': 'application/text' });
        res.end('googleapis.com');
        return;
      }
    } else if (!record.authenticated && !isUnauthenticatedGoClient(req.headers)) {
      // What GCS answers a request without credentials (or with a token it did not issue).
      const authorization = req.headers.authorization;
      throw authorization
        ? new HttpError(401, 'Invalid Credentials', 'authError', {
            'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"',
          })
        : new HttpError(
            401,
            'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.',
            'required',
            { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' },
            'AccessDenied',
          );
    }

    if (slow.ms > 0 && (!slow.match || slow.match({ method, path: record.path }))) {
      await new Promise((resolve) => setTimeout(resolve, slow.ms).unref());
    }

    const fault = faults.find((f) => f.remaining > 0 && (!f.match || f.match({ method, path: record.path })));
    const cutBodyAfter = fault?.cutBodyAfter;
    if (fault) {
      fault.remaining--;
      record.injected = true;
    }
    if (fault && cutBodyAfter === undefined) {
      if (!fault.afterApplying) throw new HttpError(fault.status, 'Injected fault from the GCS stand-in', 'backendError');
      // Do the work, then lose the answer: the routes below answer into a sink.
      res = answerSink();
      const lost = fault.afterApplying === 'reset' ? 'reset' : fault.status;
      lostAnswers.set(record, lost);
    }

    // JSON API: /storage/v1/b/{bucket}[/o[/{object}]] and the media download alias /download/storage/v1/...
    const jsonBase = segments[0] === 'storage' ? 0 : segments[0] === 'download' && segments[1] === 'storage' ? 1 : -1;
    if (jsonBase >= 0 && segments[jsonBase + 1] === 'v1' && segments[jsonBase + 2] === 'b' && segments.length > jsonBase + 3) {
      const bucketName = seg(jsonBase + 3);
      if (segments.length === jsonBase + 4 && method === 'GET') {
        bucket(bucketName);
        sendJson(res, 200, {
          kind: 'storage#bucket',
          id: bucketName,
          name: bucketName,
          location: 'US',
          storageClass: 'STANDARD',
        });
        return;
      }
      if (segments[jsonBase + 4] === 'o') {
        if (segments.length === jsonBase + 5 || (segments.length === jsonBase + 6 && segments[jsonBase + 5] === '')) {
          if (method === 'GET') return list(res, bucketName, query);
        } else {
          const name = rest(jsonBase + 5);
          if (method === 'GET') {
            const o = getObject(bucketName, name, query);
            checkPreconditions(preconditionsFrom(query), o, true);
            if (query.get('alt') === 'media') return sendMedia(req, res, o, cutBodyAfter);
            return sendJson(res, 200, resource(bucketName, name, o));
          }
          if (method === 'DELETE') {
            const o = getObject(bucketName, name, query);
            checkPreconditions(preconditionsFrom(query), o);
            bucket(bucketName).delete(name);
            res.writeHead(204);
            res.end();
            return;
          }
          if (method === 'PATCH') {
            const o = getObject(bucketName, name, query);
            checkPreconditions(preconditionsFrom(query), o);
            const meta = parseJson(body);
            const patched: StoredObject = {
              ...o,
              metageneration: o.metageneration + 1,
              contentType: meta.contentType ?? o.contentType,
              fields: { ...o.fields, ...fieldsOf(meta) },
              metadata: meta.metadata ? { ...o.metadata, ...meta.metadata } : o.metadata,
              updated: new Date().toISOString(),
            };
            bucket(bucketName).set(name, patched);
            return sendJson(res, 200, resource(bucketName, name, patched));
          }
        }
      }
    }

    // Uploads: /upload/storage/v1/b/{bucket}/o
    if (
      segments[0] === 'upload' &&
      segments[1] === 'storage' &&
      segments[2] === 'v1' &&
      segments[3] === 'b' &&
      segments[5] === 'o'
    ) {
      const bucketName = seg(4);
      const uploadId = query.get('upload_id');
      if (uploadId && (method === 'PUT' || method === 'POST')) return resumableChunk(req, res, uploadId, body);
      if (uploadId && method === 'DELETE') {
        sessions.delete(uploadId);
        res.writeHead(499, { 'Content-Length': 0 });
        res.end();
        return;
      }
      if (method === 'POST') return upload(req, res, bucketName, query, body);
    }

    // XML API media download: GET /{bucket}/{object}
    if (
      segments.length >= 2 &&
      segments[1] !== '' &&
      (method === 'GET' || method === 'HEAD') &&
      !['storage', 'upload', 'download'].includes(segments[0])
    ) {
      const o = getObject(seg(0), rest(1), query);
      checkPreconditions(preconditionsFrom(query, req.headers), o, true);
      return sendMedia(req, res, o, cutBodyAfter);
    }

    record.unknown = true;
    sendJson(res, 501, { error: { code: 501, message: `GCS stand-in: no route for ${method} ${rawPath}` } });
  };

  /** Requests whose (applied) answer is to be lost: the status the client sees instead, or 'reset'. */
  const lostAnswers = new Map<RecordedRequest, number | 'reset'>();

  const server = createServer((req, res) => {
    const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      authenticated: bearer !== undefined && tokens.has(bearer),
      at: Date.now(),
      headers: req.headers,
    };
    // One line per request when a test prints it (pretty-format and JSON.stringify call toJSON):
    // a failed `expect(gcs.unexpected()).toEqual([])` then shows what and who, not 18 lines of headers.
    Object.defineProperty(record, 'toJSON', { enumerable: false, value: () => describeRequest(record) });
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    res.on('close', () => {
      record.status ||= -1; // -1: the connection was reset
      record.endedAt = Date.now();
    });
    const xml =
      (req.url ?? '/').split('/')[1] !== 'storage' &&
      !(req.url ?? '').startsWith('/upload/') &&
      !(req.url ?? '').startsWith('/download/');
    handle(req, res, record)
      .then(() => {
        const lost = lostAnswers.get(record);
        if (lost === undefined) return;
        lostAnswers.delete(record);
        if (lost === 'reset') res.destroy();
        else
          sendError(res, new HttpError(lost, 'Injected fault from the GCS stand-in (the change was made)', 'backendError'), xml);
      })
      .catch((err: unknown) => {
        const lost = lostAnswers.get(record);
        lostAnswers.delete(record);
        if (lost === 'reset') return res.destroy();
        if (lost !== undefined) err = new HttpError(lost, 'Injected fault from the GCS stand-in', 'backendError');
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const httpError =
          err instanceof HttpError ? err : new HttpError(500, err instanceof Error ? err.message : String(err), 'internalError');
        sendError(res, httpError, xml);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const host = `127.0.0.1:${port}`;

  return {
    port,
    host,
    env: { STORAGE_EMULATOR_HOST: host, GCE_METADATA_HOST: host, GOOGLE_CLOUD_PROJECT: 'inkstone-test-project' },
    createBucket(name) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    unexpected: (expected = () => false) =>
      requests.filter(
        (r) =>
          !r.injected &&
          !expected(r) &&
          (r.unknown ||
            r.status >= 400 ||
            r.status < 0 ||
            (!r.authenticated && !r.path.startsWith('/computeMetadata/') && !isUnauthenticatedGoClient(r.headers))),
      ),
    objects: (name) => new Map([...bucket(name)].map(([key, o]) => [key, o.data])),
    object: (bucketName, name) => buckets.get(bucketName)?.get(name),
    putObject: (bucketName, name, data, contentType = 'application/octet-stream') =>
      store(bucketName, name, data, contentType, {}, undefined, {}),
    requests,
    failNext(count, options = {}) {
      faults.push({
        remaining: count,
        status: options.status ?? 503,
        afterApplying: options.afterApplying,
        cutBodyAfter: options.cutBodyAfter,
        match: options.match,
      });
    },
    barrier(count, match) {
      barriers.push({ count, match, waiting: new Map() });
    },
    clearFaults() {
      faults.length = 0;
    },
    slowDown(ms, match) {
      slow = { ms, match };
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
