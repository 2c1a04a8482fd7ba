/** The figures of Litestream's /metrics that say how far replication has come, for one database. */
export interface ReplicationPosition {
  syncCount: number;
  shadowWalIndex: number;
  shadowWalSize: number;
  replicaWalIndex: number;
  replicaWalOffset: number;
}

/** Reads one database's position out of Prometheus text; null when a figure is missing. */
export function parseReplicationPosition(text: string, databasePath: string): ReplicationPosition | null {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(litestream_\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match || !labelValue(match[2], 'db', databasePath)) continue;
    // One replica per database in our config: take the first value of each metric.
    if (!values.has(match[1])) values.set(match[1], Number(match[3]));
  }
  const get = (name: string) => values.get(`litestream_${name}`);
  const position = {
    syncCount: get('sync_count'),
    shadowWalIndex: get('shadow_wal_index'),
    shadowWalSize: get('shadow_wal_size'),
    replicaWalIndex: get('replica_wal_index'),
    replicaWalOffset: get('replica_wal_offset'),
  };
  return Object.values(position).every((v) => v !== undefined && Number.isFinite(v)) ? (position as ReplicationPosition) : null;
}

function labelValue(labels: string, name: string, expected: string): boolean {
  const match = new RegExp(`(?:^|,)${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(labels);
  return match !== null && match[1].replace(/\\(.)/g, '$1') === expected;
}

/**
 * A write committed before `start` was read is on the replica once a sync that began after the
 * commit has finished (two more syncs, since one may have been under way: the commit is then in
 * the shadow WAL) and the replica has shipped the whole current shadow WAL file.
 *
 * Why the file's own size, read from disk: Litestream 0.3's `shadow_wal_size` metric is the total
 * of every shadow WAL file it still keeps, and after a checkpoint it keeps one file more than the
 * replica needs ("keep an extra WAL file" in db.go cleanWAL), while `replica_wal_offset` is an
 * offset in the current file. Comparing those two never matched again after Litestream's first
 * checkpoint, so every later save waited out its bound and was called pending.
 */
export function isReplicatedSince(
  start: ReplicationPosition,
  now: ReplicationPosition,
  currentShadowFileSize: number | null,
): boolean {
  return (
    now.syncCount >= start.syncCount + 2 &&
    now.replicaWalIndex === now.shadowWalIndex &&
    currentShadowFileSize !== null &&
    now.replicaWalOffset >= currentShadowFileSize
  );
}
