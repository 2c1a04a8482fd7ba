import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../config/config.js';
import { takeLease } from './take-lease.js';
import { MemoryStore } from './testing/memory-lease-store.js';
import { WriterLeaseError } from './writer-lease.errors.js';
import { WriterLeaseService } from './writer-lease.service.js';

const GEN = '0123456789abcdef';

describe('WriterLeaseService', () => {
  let dir: string;
  let store: MemoryStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-lease-'));
    store = new MemoryStore();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A service as main.ts runs it after start.sh took the lease; Litestream's generation file is written here. */
  async function booted(): Promise<WriterLeaseService> {
    const taken = await takeLease(store, { holder: 'cafe0123', revision: 'rev-2' });
    const config = loadConfig(
      {
        DATABASE_PATH: join(dir, 'blog.db'),
        LITESTREAM_REPLICA_URL: 'gcs://bucket/blog.db',
        WRITER_LEASE_HOLDER: 'cafe0123',
        WRITER_LEASE_GENERATION: String(taken.objectGeneration),
        REPLICATION_WAIT_MS: '300',
      },
      dir,
    );
    const service = new WriterLeaseService(config, store);
    mkdirSync(join(dir, '.blog.db-litestream'));
    writeFileSync(join(dir, '.blog.db-litestream', 'generation'), `${GEN}\n`);
    service.onApplicationBootstrap();
    return service;
  }

  it('is off without a lease (local runs)', async () => {
    const service = new WriterLeaseService(loadConfig({ DATABASE_PATH: join(dir, 'x.db') }, dir), store);
    expect(service.enabled).toBe(false);
    expect(await service.check()).toBe('off');
    expect(await service.mayWrite()).toBe(true);
  });

  it('refuses writes until its generation has a snapshot in the bucket, then publishes it in the lease', async () => {
    const service = await booted();
    await expect(service.check()).rejects.toMatchObject({ reason: 'starting' });
    store.snapshots.add(GEN);
    expect(await service.check()).toBe('held');
    expect(store.stored!.record).toMatchObject({ holder: 'cafe0123', revision: 'rev-2', generation: GEN });
  });

  it('finds the lease moved, refuses from then on and tells its listener once', async () => {
    store.snapshots.add(GEN);
    const service = await booted();
    expect(await service.check()).toBe('held');
    let lost = 0;
    service.onLost(() => lost++);
    await takeLease(store, { holder: 'beef4567', revision: 'rev-3' });
    const refusal = await service.check().catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(WriterLeaseError);
    expect((refusal as WriterLeaseError).message).toMatch(/^Not saved — the site is moving to a new version/);
    await expect(service.check()).rejects.toMatchObject({ reason: 'lost' });
    expect(await service.mayWrite()).toBe(false);
    expect(lost).toBe(1);
    // The newcomer restores what this instance published.
    expect(store.stored!.record).toMatchObject({ holder: 'beef4567', restoredFrom: GEN });
  });

  it('calls a lease it cannot read unconfirmed: an author save may go ahead as pending, counters may not', async () => {
    store.snapshots.add(GEN);
    const service = await booted();
    expect(await service.check()).toBe('held');
    store.failing = true;
    expect(await service.check()).toBe('unconfirmed');
    expect(await service.mayWrite()).toBe(false);
    store.failing = false;
    expect(await service.check()).toBe('held');
  });

  it('publishes a new Litestream generation before anything is acknowledged in it', async () => {
    store.snapshots.add(GEN);
    const service = await booted();
    expect(await service.check()).toBe('held');
    const next = 'fedcba9876543210';
    writeFileSync(join(dir, '.blog.db-litestream', 'generation'), next);
    store.snapshots.add(next);
    expect(await service.check()).toBe('held');
    expect(store.stored!.record!.generation).toBe(next);
  });
});
