import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { type GcsStandIn, isUnauthenticatedGoClient, startGcsStandIn } from './support/gcs-stand-in.js';
import { freePort, ROOT, waitForHttp } from './support/process.js';

/**
 * The real Litestream binary and the real litestream.yml against the in-memory GCS stand-in:
 * replicate, stop, restore. Independent of the app: the database is made here with better-sqlite3.
 *
 * Why no execFileSync/spawnSync anywhere: the stand-in runs in this process, so a synchronous
 * child would block the event loop that has to answer it, and the child would hang.
 */

const requireCjs = createRequire(import.meta.url);
const LITESTREAM = join(dirname(requireCjs.resolve('@flydotio/litestream-linux-x64/package.json')), 'litestream');
const CONFIG = join(ROOT, 'litestream.yml');
const BUCKET = 'test-bucket';
const REPLICA_PATH = 'blog/inkstone.db';
const REPLICA_URL = `gcs://${BUCKET}/${REPLICA_PATH}`;
const TEST_TIMEOUT = 60_000;

// better-sqlite3 has no type declarations installed: the little used here, typed by hand.
interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  pragma(source: string, options?: { simple: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
const Database = requireCjs('better-sqlite3') as new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean },
) => SqliteDatabase;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}
interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('Litestream v0.3.13 with GCS (stand-in)', () => {
  let gcs: GcsStandIn;
  let dir: string;
  let databasePath: string;
  let metricsPort: number;
  const children = new Set<Child>();
  const databases = new Set<SqliteDatabase>();

  beforeEach(async () => {
    gcs = await startGcsStandIn({ buckets: [BUCKET] });
    dir = mkdtempSync(join(tmpdir(), 'inkstone-litestream-gcs-'));
    databasePath = join(dir, 'data', 'inkstone.db');
    metricsPort = await freePort();
  });

  afterEach(async () => {
    for (const db of databases) db.close();
    databases.clear();
    for (const c of children) {
      // Each child leads its own process group: this also ends what `timeout` started.
      if (c.child.exitCode === null && c.child.signalCode === null) {
        try {
          process.kill(-c.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await c.exited;
    }
    children.clear();
    // Litestream made only requests the stand-in knows, and none failed but the injected faults.
    expect(gcs.unexpected()).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      DATABASE_PATH: databasePath,
      LITESTREAM_REPLICA_URL: REPLICA_URL,
      LITESTREAM_ADDR: `127.0.0.1:${metricsPort}`,
      // host:port without a scheme: the Go client adds http:// and cannot authenticate (see the stand-in).
      ...gcs.env,
    };
  }

  function run(command: string, args: string[]): Child {
    const child = spawn(command, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const c = { child, output: () => out, exited };
    children.add(c);
    return c;
  }

  const replicate = () => run(LITESTREAM, ['replicate', '-config', CONFIG]);
  const restore = (output: string, ...flags: string[]) =>
    run(LITESTREAM, ['restore', '-config', CONFIG, ...flags, '-o', output, databasePath]);

  function openDatabase(path = databasePath): SqliteDatabase {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    databases.add(db);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db;
  }

  function closeDatabase(db: SqliteDatabase): void {
    db.close();
    databases.delete(db);
  }

  function readRestored<T>(path: string, read: (db: SqliteDatabase) => T): T {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      return read(db);
    } finally {
      db.close();
    }
  }

  const replicaKeys = () => [...gcs.objects(BUCKET).keys()].filter((k) => k.startsWith(`${REPLICA_PATH}/generations/`));
  const snapshotKeys = () =>
    replicaKeys().filter((k) => /\/generations\/[0-9a-f]{16}\/snapshots\/[0-9a-f]{8}\.snapshot\.lz4$/.test(k));
  const walKeys = () =>
    replicaKeys().filter((k) => /\/generations\/[0-9a-f]{16}\/wal\/[0-9a-f]{8}_[0-9a-f]{8}\.wal\.lz4$/.test(k));

  async function metrics(): Promise<Record<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const values: Record<string, number> = {};
    for (const m of text.matchAll(/^(litestream_[a-z_]+)\{db="[^"]*"(?:,name="[^"]*")?\} (\S+)$/gm)) values[m[1]] = Number(m[2]);
    return values;
  }

  /** Waits until a sync that started after the last commit has run and the replica caught up. */
  async function waitUntilReplicated(): Promise<void> {
    const start = (await metrics()).litestream_sync_count ?? 0;
    await waitFor('the replica to catch up with the shadow WAL', async () => {
      const m = await metrics();
      return (
        m.litestream_sync_count >= start + 2 &&
        m.litestream_replica_wal_index === m.litestream_shadow_wal_index &&
        m.litestream_replica_wal_offset === m.litestream_shadow_wal_size
      );
    });
  }

  async function stop(litestream: Child): Promise<void> {
    litestream.child.kill('SIGTERM');
    expect(await litestream.exited).toEqual({ code: 0, signal: null });
  }

  it(
    'replicates a WAL database through litestream.yml and restores every row',
    async () => {
      const db = openDatabase();
      db.exec('CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO posts (title, body) VALUES (?, ?)');
      const insertMany = db.transaction((from: number, count: number) => {
        for (let i = from; i < from + count; i++) insert.run(`Post ${i}`, `Body of post ${i} `.repeat(20));
      });
      insertMany(0, 50);

      const litestream = replicate();
      await waitForHttp(`http://127.0.0.1:${metricsPort}/metrics`);
      await waitFor('a snapshot in the bucket', () => snapshotKeys().length > 0);

      // Several commits after the snapshot, in separate syncs: they travel as WAL segments.
      for (let batch = 1; batch <= 3; batch++) {
        insertMany(batch * 100, 100);
        await waitUntilReplicated();
      }
      expect(walKeys().length).toBeGreaterThanOrEqual(2);
      expect(new Set(replicaKeys().map((k) => k.split('/')[3])).size).toBe(1); // one generation

      await stop(litestream);
      closeDatabase(db);

      const restoredPath = join(dir, 'restored', 'inkstone.db');
      const restoring = restore(restoredPath);
      expect(await restoring.exited).toEqual({ code: 0, signal: null });

      const rows = readRestored(restoredPath, (r) => r.prepare('SELECT id, title FROM posts ORDER BY id').all());
      expect(rows).toHaveLength(350);
      expect(rows[0]).toEqual({ id: 1, title: 'Post 0' });
      expect(rows.at(-1)).toEqual({ id: 350, title: 'Post 399' });

      // Litestream's Go client cannot authenticate against an emulator: the stand-in lets it through
      // only as that client (see isUnauthenticatedGoClient), and records it.
      console.log(
        `litestream-gcs: Litestream's client headers: user-agent ${gcs.requests[0].headers['user-agent']}, ` +
          `x-goog-api-client ${gcs.requests[0].headers['x-goog-api-client']}, authorization ${gcs.requests[0].headers.authorization ?? '(none)'}`,
      );
      expect(gcs.requests.every((r) => !r.authenticated && isUnauthenticatedGoClient(r.headers))).toBe(true);
      const calls = gcs.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
      expect(gcs.requests.filter((r) => r.unknown || r.status >= 400)).toEqual([]);
      expect(calls).toContain(`GET /storage/v1/b/${BUCKET}/o`);
      expect(gcs.requests.some((r) => r.path.includes('uploadType=multipart'))).toBe(true);
      expect(gcs.requests).toContainEqual(
        expect.objectContaining({
          method: 'GET',
          path: expect.stringMatching(
            /^\/storage\/v1\/b\/test-bucket\/o\?.*delimiter=%2F.*prefix=blog%2Finkstone\.db%2Fgenerations%2F&/,
          ),
        }),
      );
      // The restore downloads through the XML path, object name URL-encoded.
      expect(calls).toContain(`GET /${BUCKET}/${encodeURIComponent(snapshotKeys()[0])}`);
    },
    TEST_TIMEOUT,
  );

  it(
    'uploads a snapshot over 16 MiB with a resumable upload and restores it byte for byte',
    async () => {
      const db = openDatabase();
      db.exec('CREATE TABLE media (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
      const blobs = Array.from({ length: 80 }, () => randomBytes(256 * 1024)); // 20 MiB that lz4 cannot shrink
      const insert = db.prepare('INSERT INTO media (id, data) VALUES (?, ?)');
      db.transaction(() => blobs.forEach((b, i) => insert.run(i + 1, b)))();
      // Closing the last connection checkpoints: the snapshot is the whole 20 MiB file.
      closeDatabase(db);

      const litestream = replicate();
      await waitForHttp(`http://127.0.0.1:${metricsPort}/metrics`);
      await waitFor('a snapshot in the bucket', () => snapshotKeys().length > 0);
      await waitUntilReplicated();
      await stop(litestream);

      const snapshot = gcs.object(BUCKET, snapshotKeys()[0])!;
      expect(snapshot.data.length).toBeGreaterThan(16 * 1024 * 1024);
      expect(gcs.requests).toContainEqual(
        expect.objectContaining({
          method: 'POST',
          path: expect.stringMatching(/^\/upload\/storage\/v1\/b\/test-bucket\/o\?.*uploadType=resumable/),
        }),
      );
      const chunks = gcs.requests.filter((r) => r.path.includes('upload_id='));
      expect(chunks.length).toBeGreaterThanOrEqual(2); // 16 MiB chunks
      expect(chunks[0].headers['x-guploader-no-308']).toBe('yes');
      expect(chunks.map((c) => c.headers['content-range'])).toEqual([
        'bytes 0-16777215/*',
        `bytes 16777216-${snapshot.data.length - 1}/${snapshot.data.length}`,
      ]);
      expect(gcs.requests.filter((r) => r.unknown || r.status >= 400)).toEqual([]);

      const restoredPath = join(dir, 'restored', 'inkstone.db');
      expect(await restore(restoredPath).exited).toEqual({ code: 0, signal: null });
      const restored = readRestored(restoredPath, (r) => r.prepare('SELECT id, data FROM media ORDER BY id').all()) as {
        id: number;
        data: Buffer;
      }[];
      expect(restored).toHaveLength(blobs.length);
      expect(restored.every((row, i) => row.id === i + 1 && row.data.equals(blobs[i]))).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'restores nothing from an empty bucket with -if-replica-exists, and exits 0',
    async () => {
      const restoring = run(LITESTREAM, ['restore', '-config', CONFIG, '-if-db-not-exists', '-if-replica-exists', databasePath]);
      expect(await restoring.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(databasePath)).toBe(false);
      expect(gcs.requests.length).toBeGreaterThan(0);
      expect(gcs.requests.every((r) => r.method === 'GET' && r.path.startsWith(`/storage/v1/b/${BUCKET}/o?`))).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'fails, bounded by timeout, without creating the database when GCS answers 503',
    async () => {
      // A replica exists, so only the outage can stop the restore.
      gcs.putObject(BUCKET, `${REPLICA_PATH}/generations/0123456789abcdef/snapshots/00000000.snapshot.lz4`, Buffer.alloc(0));
      gcs.failNext(Infinity, { status: 503 });
      const started = Date.now();
      const restoring = run('timeout', [
        '5',
        LITESTREAM,
        'restore',
        '-config',
        CONFIG,
        '-if-db-not-exists',
        '-if-replica-exists',
        databasePath,
      ]);
      const exit = await restoring.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).toBe(124); // timeout's "timed out": Litestream kept retrying
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(existsSync(databasePath)).toBe(false);
      expect(existsSync(`${databasePath}.tmp`)).toBe(false);
      expect(gcs.requests.length).toBeGreaterThan(0);
      expect(gcs.requests.every((r) => r.status === 503)).toBe(true);
    },
    TEST_TIMEOUT,
  );
});

/** What Litestream does not exercise but the Node @google-cloud/storage client will. */
describe('the GCS stand-in', () => {
  let gcs: GcsStandIn;
  let base: string;
  /** The 4xx a test provokes on purpose; anything else fails it in afterEach. */
  let provoked: (r: { status: number; path: string; method: string }) => boolean;
  let auth: { Authorization: string };
  beforeEach(async () => {
    gcs = await startGcsStandIn({ buckets: ['b1'] });
    base = `http://${gcs.host}`;
    provoked = () => false;
    const token = await fetch(`${base}/computeMetadata/v1/instance/service-accounts/default/token`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    auth = { Authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}` };
  });
  afterEach(async () => {
    expect(gcs.unexpected(provoked)).toEqual([]);
    await gcs.stop();
  });
  /** fetch with the token, as every real client sends one. */
  const get = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { ...auth, ...(init.headers as object) } });

  const objectUrl = (name: string, query = '') => `${base}/storage/v1/b/b1/o/${encodeURIComponent(name)}${query}`;

  function multipart(name: string, data: string, query = ''): Promise<Response> {
    const body =
      `--XX\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify({ name, contentType: 'text/plain' })}\r\n` +
      `--XX\r\nContent-Type: text/plain\r\n\r\n${data}\r\n--XX--\r\n`;
    return get(`${base}/upload/storage/v1/b/b1/o?uploadType=multipart${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/related; boundary=XX' },
      body,
    });
  }

  it('keeps generations, enforces preconditions and answers errors like GCS', async () => {
    provoked = (r) => [304, 404, 412].includes(r.status);
    const created = await multipart('a/b.txt', '123456789', '&ifGenerationMatch=0');
    expect(created.status).toBe(200);
    const first = (await created.json()) as Record<string, string>;
    expect(first).toMatchObject({ kind: 'storage#object', name: 'a/b.txt', bucket: 'b1', size: '9', contentType: 'text/plain' });
    expect(first.generation).toMatch(/^\d+$/);
    expect(first.crc32c).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64')); // CRC-32C check value

    const again = await multipart('a/b.txt', 'other', '&ifGenerationMatch=0');
    expect(again.status).toBe(412);
    expect(await again.json()).toMatchObject({ error: { code: 412, errors: [{ reason: 'conditionNotMet' }] } });
    const replaced = (await (await multipart('a/b.txt', 'v2', `&ifGenerationMatch=${first.generation}`)).json()) as {
      generation: string;
    };
    expect(BigInt(replaced.generation)).toBeGreaterThan(BigInt(first.generation));
    expect((await get(objectUrl('a/b.txt', `?ifGenerationNotMatch=${replaced.generation}&alt=media`))).status).toBe(304);
    expect((await get(objectUrl('a/b.txt', '?ifMetagenerationMatch=2'))).status).toBe(412);

    const media = await get(objectUrl('a/b.txt', '?alt=media'));
    expect(await media.text()).toBe('v2');
    expect(media.headers.get('x-goog-generation')).toBe(replaced.generation);
    expect(media.headers.get('x-goog-hash')).toMatch(/^crc32c=.+,md5=.+$/);
    const xmlRange = await get(`${base}/b1/a%2Fb.txt`, { headers: { Range: 'bytes=1-' } });
    expect([xmlRange.status, await xmlRange.text(), xmlRange.headers.get('content-range')]).toEqual([206, '2', 'bytes 1-1/2']);

    const missing = await get(objectUrl('nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
    expect((await get(`${base}/b1/nope`)).status).toBe(404);
    expect((await get(objectUrl('a/b.txt'), { method: 'DELETE' })).status).toBe(204);
    expect((await get(objectUrl('a/b.txt'), { method: 'DELETE' })).status).toBe(404);
  });

  it('takes resumable uploads in chunks, answering 308 with Range', async () => {
    const init = await get(`${base}/upload/storage/v1/b/b1/o?uploadType=resumable&name=big.bin`, { method: 'POST' });
    const session = init.headers.get('location')!;
    expect(session).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/storage\/v1\/b\/b1\/o\?uploadType=resumable&upload_id=/);
    const put = (range: string, body = '') => get(session, { method: 'PUT', headers: { 'Content-Range': range }, body });
    const chunk = await put('bytes 0-4/*', 'hello');
    expect([chunk.status, chunk.headers.get('range')]).toEqual([308, 'bytes=0-4']);
    const status = await put('bytes */*');
    expect([status.status, status.headers.get('range')]).toEqual([308, 'bytes=0-4']);
    const done = await put('bytes 5-10/11', ' world');
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ name: 'big.bin', size: '11' });
    expect(gcs.objects('b1').get('big.bin')?.toString()).toBe('hello world');
  });

  it('lists with prefix, delimiter and pages', async () => {
    for (const name of ['g/1/a', 'g/1/b', 'g/2/a', 'g/x', 'h/y']) gcs.putObject('b1', name, Buffer.from(name));
    const pages: { items?: { name: string }[]; prefixes?: string[]; nextPageToken?: string }[] = [];
    let token = '';
    do {
      const res = await get(`${base}/storage/v1/b/b1/o?prefix=g%2F&delimiter=%2F&maxResults=2&pageToken=${token}`);
      pages.push((await res.json()) as (typeof pages)[number]);
      token = pages.at(-1)!.nextPageToken ?? '';
    } while (token);
    expect(pages.flatMap((p) => p.prefixes ?? [])).toEqual(['g/1/', 'g/2/']);
    expect(pages.flatMap((p) => (p.items ?? []).map((i) => i.name))).toEqual(['g/x']);
    expect(pages).toHaveLength(2);
  });

  it('injects faults and answers 501 to routes it does not know', async () => {
    provoked = (r) => r.path.endsWith('/compose');
    gcs.failNext(2, { match: (r) => r.method === 'GET' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${base}/storage/v1/b/b1/o`)).status);
    expect(statuses).toEqual([503, 503, 200]);
    const res = await get(`${base}/storage/v1/b/b1/o/x/compose`, { method: 'POST' });
    expect(res.status).toBe(501);
    expect(gcs.requests.at(-1)).toMatchObject({ method: 'POST', path: '/storage/v1/b/b1/o/x/compose', unknown: true });
  });

  it('refuses what GCS refuses: no or a foreign token, a bucket that does not exist', async () => {
    provoked = (r) => [401, 403, 404].includes(r.status);
    const anonymous = await fetch(`${base}/storage/v1/b/b1/o`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'required' }] } });
    expect((await fetch(`${base}/storage/v1/b/b1/o`, { headers: { Authorization: 'Bearer made-up' } })).status).toBe(401);
    expect((await fetch(`${base}/b1/x`)).status).toBe(401); // the XML path too
    const noBucket = await get(`${base}/storage/v1/b/nope/o`);
    expect(noBucket.status).toBe(404);
    expect(await noBucket.json()).toMatchObject({ error: { code: 404, message: 'The specified bucket does not exist.' } });
    expect((await get(`${base}/storage/v1/b/nope`)).status).toBe(404);
    expect(await (await get(`${base}/nope/x`)).text()).toContain('<Code>NoSuchBucket</Code>');
    expect((await get(`${base}/upload/storage/v1/b/nope/o?uploadType=media&name=x`, { method: 'POST', body: 'x' })).status).toBe(
      404,
    );
    // The metadata server answers only requests that say they mean it.
    expect((await fetch(`${base}/computeMetadata/v1/instance/service-accounts/default/token`)).status).toBe(403);
    expect(gcs.objects('b1').size).toBe(0);
  });

  it('honours preconditions on every path: media, multipart and resumable uploads, downloads, delete, patch', async () => {
    provoked = (r) => [304, 412].includes(r.status);
    const media = (query: string, body: string) =>
      get(`${base}/upload/storage/v1/b/b1/o?uploadType=media&name=o${query}`, { method: 'POST', body });
    expect((await media('&ifGenerationMatch=0', 'v1')).status).toBe(200);
    const g1 = gcs.object('b1', 'o')!.generation;
    expect((await media('&ifGenerationMatch=0', 'v2')).status).toBe(412); // 0: must not exist
    expect((await media(`&ifGenerationMatch=${g1 + 1}`, 'v2')).status).toBe(412);
    expect((await media(`&ifGenerationNotMatch=${g1}`, 'v2')).status).toBe(412);
    expect((await media('&ifMetagenerationMatch=2', 'v2')).status).toBe(412);
    expect((await multipart('o', 'v2', '&ifGenerationMatch=0')).status).toBe(412);
    const resumable = await get(`${base}/upload/storage/v1/b/b1/o?uploadType=resumable&name=o&ifGenerationMatch=0`, {
      method: 'POST',
    });
    expect(resumable.status).toBe(412);
    // A resumable session checks again when it completes: the object changed after it began.
    const session = (
      await get(`${base}/upload/storage/v1/b/b1/o?uploadType=resumable&name=o&ifGenerationMatch=${g1}`, { method: 'POST' })
    ).headers.get('location')!;
    expect((await media(`&ifGenerationMatch=${g1}`, 'v2')).status).toBe(200);
    expect((await get(session, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-1/2' }, body: 'v3' })).status).toBe(412);
    const g2 = gcs.object('b1', 'o')!.generation;
    expect(gcs.object('b1', 'o')!.data.toString()).toBe('v2');
    // Downloads (JSON and XML, query and x-goog headers), delete and patch.
    expect((await get(`${base}/storage/v1/b/b1/o/o?alt=media&ifGenerationMatch=${g1}`)).status).toBe(412);
    expect((await get(`${base}/b1/o?ifGenerationMatch=${g1}`)).status).toBe(412);
    expect((await get(`${base}/b1/o`, { headers: { 'x-goog-if-generation-match': String(g1) } })).status).toBe(412);
    expect((await get(`${base}/b1/o?ifMetagenerationMatch=7`)).status).toBe(412);
    expect((await get(`${base}/storage/v1/b/b1/o/o?ifGenerationNotMatch=${g2}`)).status).toBe(304);
    expect((await get(`${base}/storage/v1/b/b1/o/o?ifGenerationMatch=${g1}`, { method: 'DELETE' })).status).toBe(412);
    const patch = (query: string) =>
      get(`${base}/storage/v1/b/b1/o/o${query}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cacheControl: 'no-store' }),
      });
    expect((await patch('?ifMetagenerationMatch=2')).status).toBe(412);
    expect((await patch('?ifGenerationMatch=0')).status).toBe(412);
    const patched = await patch(`?ifGenerationMatch=${g2}&ifMetagenerationMatch=1`);
    expect(await patched.json()).toMatchObject({ metageneration: '2', generation: String(g2), cacheControl: 'no-store' });
    expect((await get(`${base}/storage/v1/b/b1/o/o?ifGenerationMatch=${g2}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('keeps cacheControl and the other metadata, returns them, and serves them as headers', async () => {
    const body =
      `--XX\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n` +
      JSON.stringify({
        name: 'm.json',
        contentType: 'application/json',
        cacheControl: 'no-store',
        contentLanguage: 'en',
        metadata: { k: 'v' },
      }) +
      `\r\n--XX\r\nContent-Type: application/json\r\n\r\n{}\r\n--XX--\r\n`;
    const created = await get(`${base}/upload/storage/v1/b/b1/o?uploadType=multipart`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/related; boundary=XX' },
      body,
    });
    const expected = { cacheControl: 'no-store', contentLanguage: 'en', contentType: 'application/json', metadata: { k: 'v' } };
    expect(await created.json()).toMatchObject(expected);
    expect(await (await get(`${base}/storage/v1/b/b1/o/m.json`)).json()).toMatchObject(expected);
    const download = await get(`${base}/b1/m.json`);
    expect([download.headers.get('cache-control'), download.headers.get('content-language')]).toEqual(['no-store', 'en']);
  });

  it('can lose the answer to a change it made (the client sees a 503 or a reset connection)', async () => {
    gcs.failNext(1, { afterApplying: true, match: (r) => r.method === 'POST' });
    expect((await multipart('lost', 'applied', '&ifGenerationMatch=0')).status).toBe(503);
    expect(gcs.object('b1', 'lost')?.data.toString()).toBe('applied');
    gcs.failNext(1, { afterApplying: 'reset', match: (r) => r.method === 'DELETE' });
    await expect(get(`${base}/storage/v1/b/b1/o/lost`, { method: 'DELETE' })).rejects.toThrow();
    expect(gcs.object('b1', 'lost')).toBeUndefined();
  });
});
