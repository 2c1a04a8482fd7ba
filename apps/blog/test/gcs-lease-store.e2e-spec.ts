import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { GcsLeaseStore } from '../src/durability/writer-lease/gcs-lease-store.js';
import { type LeaseRecord, leaseLocation } from '../src/durability/writer-lease/lease-record.js';
import { type GcsStandIn, type RecordedRequest, startGcsStandIn } from './support/gcs-stand-in.js';
import { assertBuilt, ROOT, spawnCaptured } from './support/process.js';
import { isLeaseRequest } from './support/rollout.js';

/**
 * GcsLeaseStore through its JSON API client (cloud-storage/gcs-json.ts: retries on, authenticated
 * with a token from the stand-in's metadata route) against a stand-in that can apply a write and
 * lose its answer. The client then retries the `ifGenerationMatch` write, which meets the first
 * attempt's object and gets 412: the store must recognise its own write, or a holder would think
 * it lost the lease (and shut down) just because a response went missing.
 */

// The client's retries wait ~1 s each; a loaded 2-core machine doubles that.
jest.setTimeout(30_000);

const record = (holder: string): LeaseRecord => ({
  holder,
  revision: null,
  startedAt: new Date().toISOString(),
  generation: null,
  restoredFrom: null,
});

describe('the lease store in Cloud Storage', () => {
  let gcs: GcsStandIn;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    gcs = await startGcsStandIn({ buckets: ['lease'] });
    for (const [key, value] of Object.entries(gcs.env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await gcs.stop();
  });

  const LOCATION = leaseLocation('gcs://lease/blog/inkstone.db')!;
  const stored = () => gcs.object('lease', LOCATION.object);
  const isLeaseWrite = (r: { method: string; path: string }) => r.method === 'POST' && isLeaseRequest(r);
  /** Requests the client gave up waiting for on purpose (their connections closed: status -1). */
  const abandoned = new Set<RecordedRequest>();

  it.each([
    ['a 503', true as const],
    ['a reset connection', 'reset' as const],
  ])('recognises its own write when the answer was lost (%s) and the retry met it with 412', async (_, how) => {
    const store = new GcsLeaseStore(LOCATION, 5_000);
    const before = gcs.requests.length;
    const current = (await store.read())?.objectGeneration ?? 0;
    gcs.failNext(1, { afterApplying: how, match: isLeaseWrite });
    const mine = record(`holder-${String(how)}`);
    const result = await store.write(mine, current);
    expect(result).toEqual({ written: true, objectGeneration: stored()!.generation });
    expect(JSON.parse(stored()!.data.toString('utf8'))).toEqual(mine);
    // It really was the retry that met the first attempt's object.
    const writes = gcs.requests.slice(before).filter(isLeaseWrite);
    expect(writes.map((r) => (r.injected ? 'lost' : r.status))).toEqual(['lost', 412]);
    expect(gcs.object('lease', LOCATION.object)?.fields.cacheControl).toBe('no-store');
  });

  it('still reports a write that lost to another writer as not written', async () => {
    const store = new GcsLeaseStore(LOCATION, 5_000);
    const read = await store.read();
    // Another instance writes between our read and our write.
    await new GcsLeaseStore(LOCATION, 5_000).write(record('the other'), read!.objectGeneration);
    expect(await store.write(record('us'), read!.objectGeneration)).toEqual({ written: false });
    expect(JSON.parse(stored()!.data.toString('utf8')).holder).toBe('the other');
  });

  it('ends a call to a bucket that does not answer within its bound, retries included', async () => {
    const store = new GcsLeaseStore(LOCATION, 1_000);
    gcs.slowDown(5_000, isLeaseRequest);
    const before = gcs.requests.length;
    try {
      const t0 = Date.now();
      await expect(store.read()).rejects.toThrow('no answer in time');
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      gcs.slowDown(0);
      for (const r of gcs.requests.slice(before)) abandoned.add(r);
    }
  });

  it('takes the lease from start.sh without loading the Cloud Storage client library', async () => {
    assertBuilt();
    // Why: start.sh takes the lease on every cold start; @google-cloud/storage (and
    // google-auth-library under it) cost 0.25–2.7 s to load, the calls themselves a few ms.
    const libraries = join(ROOT, '.tmp', 'report-google-libraries.cjs');
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    writeFileSync(
      libraries,
      `process.on('exit', () => process.stderr.write('loaded: ' + Object.keys(require.cache)` +
        `.filter((k) => /node_modules\\/(@google-cloud|google-auth-library|gaxios)\\//.test(k)).length + '\\n'));`,
    );
    const cli = spawnCaptured(
      process.execPath,
      ['--require', libraries, join(ROOT, 'dist/apps/blog/src/cli/writer-lease.js'), 'take'],
      { ...gcs.env, LITESTREAM_REPLICA_URL: 'gcs://lease/blog/inkstone.db' },
    );
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const [holder, objectGeneration, restore] = cli.output().split('\n')[0].split(' ');
    expect(JSON.parse(stored()!.data.toString('utf8')).holder).toBe(holder);
    expect(Number(objectGeneration)).toBe(stored()!.generation);
    expect(restore).toBe('-');
    expect(cli.output()).toContain('loaded: 0\n');
  });

  it('sent only authenticated, known requests; the 412s are the ones provoked here', () => {
    expect(gcs.requests.every((r) => r.authenticated || r.path.startsWith('/computeMetadata/'))).toBe(true);
    expect(
      gcs.unexpected((r) => (r.status === 412 && isLeaseWrite(r)) || (r.status === 404 && isLeaseRequest(r)) || abandoned.has(r)),
    ).toEqual([]);
  });
});
