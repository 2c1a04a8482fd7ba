import { isReplicatedSince, parseReplicationPosition } from './litestream-metrics.js';

const sample = (db: string, n: { sync: number; shadow: [number, number]; replica: [number, number] }) => `
# HELP litestream_sync_count Number of sync operations
# TYPE litestream_sync_count counter
litestream_sync_count{db="${db}"} ${n.sync}
litestream_shadow_wal_index{db="${db}"} ${n.shadow[0]}
litestream_shadow_wal_size{db="${db}"} ${n.shadow[1]}
litestream_replica_wal_index{db="${db}",name="gcs"} ${n.replica[0]}
litestream_replica_wal_offset{db="${db}",name="gcs"} ${n.replica[1]}
litestream_sync_count{db="/other.db"} 999
`;

describe('Litestream metrics', () => {
  it('reads the position of the configured database only', () => {
    expect(
      parseReplicationPosition(
        sample('/data/inkstone.db', { sync: 7, shadow: [1, 4096], replica: [1, 2048] }),
        '/data/inkstone.db',
      ),
    ).toEqual({
      syncCount: 7,
      shadowWalIndex: 1,
      shadowWalSize: 4096,
      replicaWalIndex: 1,
      replicaWalOffset: 2048,
    });
    expect(
      parseReplicationPosition(sample('/data/inkstone.db', { sync: 7, shadow: [1, 1], replica: [1, 1] }), '/data/other.db'),
    ).toBeNull();
    expect(parseReplicationPosition('garbage', '/x')).toBeNull();
  });

  it('calls a write replicated only after two more syncs and a replica that shipped the whole current shadow file', () => {
    const at = (sync: number, shadow: [number, number], replica: [number, number]) =>
      parseReplicationPosition(sample('/d.db', { sync, shadow, replica }), '/d.db')!;
    const start = at(10, [0, 5000], [0, 4000]);
    expect(isReplicatedSince(start, at(11, [0, 5000], [0, 5000]), 5000)).toBe(false); // a sync may have begun before the commit
    expect(isReplicatedSince(start, at(12, [0, 6000], [0, 5000]), 6000)).toBe(false); // replica behind
    expect(isReplicatedSince(start, at(12, [1, 100], [0, 6000]), 100)).toBe(false); // new WAL index not shipped
    expect(isReplicatedSince(start, at(12, [0, 6000], [0, 6000]), null)).toBe(false); // no shadow file to compare with
    expect(isReplicatedSince(start, at(12, [0, 6000], [0, 6000]), 6000)).toBe(true);
  });

  it('after a checkpoint: the metric totals two kept files, the replica offset is within the current one', () => {
    // Litestream keeps file 2 beside the current file 3: shadow_wal_size = 9000 + 4128, the
    // replica has shipped all 4128 bytes of file 3. The old comparison (offset == total) never held.
    const at = (sync: number, replica: [number, number]) =>
      parseReplicationPosition(sample('/d.db', { sync, shadow: [3, 13128], replica }), '/d.db')!;
    const start = at(40, [3, 32]);
    expect(isReplicatedSince(start, at(42, [3, 4128]), 4128)).toBe(true);
    expect(isReplicatedSince(start, at(42, [3, 32]), 4128)).toBe(false);
  });
});
