import { leaseLocation, parseLeaseRecord } from './lease-record.js';
import { MemoryStore } from './testing/memory-lease-store.js';
import { liveGeneration, takeLease } from './take-lease.js';

const GEN_A = 'aaaaaaaaaaaaaaaa';
const GEN_B = 'bbbbbbbbbbbbbbbb';

describe('the writer lease', () => {
  it('lives beside the replica, outside what Litestream lists, and only for gcs:// replicas', () => {
    expect(leaseLocation('gcs://my-bucket/blog/inkstone.db')).toEqual({
      bucket: 'my-bucket',
      replicaPath: 'blog/inkstone.db',
      object: 'blog/inkstone.db.writer-lease.json',
    });
    expect(leaseLocation('gcs://b/inkstone.db/')?.object).toBe('inkstone.db.writer-lease.json');
    expect(leaseLocation('file:///tmp/replica')).toBeNull();
    expect(leaseLocation('s3://b/x')).toBeNull();
    expect(leaseLocation(undefined)).toBeNull();
  });

  it('reads a stored record defensively', () => {
    expect(parseLeaseRecord('not json')).toBeNull();
    expect(parseLeaseRecord('{"holder": 1}')).toBeNull();
    expect(
      parseLeaseRecord(JSON.stringify({ holder: 'h', startedAt: 'x', generation: '../../etc', restoredFrom: GEN_A })),
    ).toEqual({ holder: 'h', revision: null, startedAt: 'x', generation: null, restoredFrom: GEN_A });
  });

  it('is taken on an empty bucket with a plain restore', async () => {
    const store = new MemoryStore();
    const taken = await takeLease(store, { holder: 'h1', revision: 'rev-1' });
    expect(taken.restoreGeneration).toBeNull();
    expect(taken.objectGeneration).toBe(store.stored!.objectGeneration);
    expect(store.stored!.record).toMatchObject({ holder: 'h1', revision: 'rev-1', generation: null, restoredFrom: null });
  });

  it('makes the newcomer restore the generation the previous holder published', async () => {
    const store = new MemoryStore();
    await takeLease(store, { holder: 'old', revision: null });
    store.stored!.record!.generation = GEN_A;
    store.snapshots.add(GEN_A);
    const taken = await takeLease(store, { holder: 'new', revision: null });
    expect(taken.restoreGeneration).toBe(GEN_A);
    expect(store.stored!.record).toMatchObject({ holder: 'new', generation: null, restoredFrom: GEN_A });
    // The new holder has not published yet: a third instance still restores what the old one wrote.
    expect(await liveGeneration(store)).toBe(GEN_A);
  });

  it('falls back to a plain restore when the named generation is gone from the bucket', async () => {
    const store = new MemoryStore();
    store.stored = {
      objectGeneration: 5,
      record: { holder: 'x', revision: null, startedAt: 't', generation: GEN_B, restoredFrom: null },
    };
    expect(await liveGeneration(store)).toBeNull();
    store.snapshots.add(GEN_B);
    expect(await liveGeneration(store)).toBe(GEN_B);
  });

  it('settles two instances starting at the same moment to exactly one holder', async () => {
    const store = new MemoryStore();
    await takeLease(store, { holder: 'old', revision: null });
    store.stored!.record!.generation = GEN_A;
    store.snapshots.add(GEN_A);
    // B reads, then A reads and writes before B writes: B's write fails its precondition.
    let a: Promise<unknown> = Promise.resolve();
    store.between = async () => {
      a = takeLease(store, { holder: 'A', revision: null });
      await a;
    };
    const b = await takeLease(store, { holder: 'B', revision: null });
    const takenA = (await a) as Awaited<ReturnType<typeof takeLease>>;
    expect(store.conflicts).toBe(1);
    // Newest wins: B wrote last, on top of A's lease, and both restore the old holder's generation.
    expect(store.stored!.record!.holder).toBe('B');
    expect(store.stored!.objectGeneration).toBe(b.objectGeneration);
    expect(takenA.objectGeneration).not.toBe(b.objectGeneration);
    expect([takenA.restoreGeneration, b.restoreGeneration]).toEqual([GEN_A, GEN_A]);
  });
});
