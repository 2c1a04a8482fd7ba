import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EntityManager } from '@mikro-orm/better-sqlite';

import type { WriteGate } from '@app/content';

import { contentOnSqlite, type ContentOnSqlite } from '../../test/support/content-on-sqlite.js';
import type { AppConfig } from '../config/config.js';
import { ReplicationService } from './replication.service.js';

const DATABASE = ':memory:';
// Litestream's metrics, stuck: the replica never reaches the shadow WAL, so a save keeps waiting.
const STUCK_METRICS = `litestream_sync_count{db="${DATABASE}"} 1
litestream_shadow_wal_index{db="${DATABASE}"} 0
litestream_shadow_wal_size{db="${DATABASE}"} 8192
litestream_replica_wal_index{db="${DATABASE}",name="gcs"} 0
litestream_replica_wal_offset{db="${DATABASE}",name="gcs"} 4096
`;

/**
 * The nudge is a write: like every other write it asks the writer lease first. An instance that
 * lost the lease (a rollout's old revision, still answering while it shuts down) must not add a
 * frame to a generation that is no longer the live one.
 */
describe('ReplicationService: the nudge of a stuck Litestream', () => {
  let db: ContentOnSqlite;
  let metrics: Server;
  let metricsUrl: string;
  beforeAll(async () => {
    metrics = createServer((_req, res) => res.end(STUCK_METRICS));
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise((resolve) => metrics.close(resolve)));
  beforeEach(async () => {
    db = await contentOnSqlite();
    // The table Litestream creates when it first opens a database (db.go init).
    await db.em.getConnection().execute('CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)');
  });
  afterEach(() => db.close());

  const nudgesAfterWaiting = async (gate: WriteGate) => {
    const config = { litestreamMetricsUrl: metricsUrl, databasePath: DATABASE, replicationWaitMs: 3500 } as AppConfig;
    const replication = new ReplicationService(config, db.get(EntityManager), gate);
    const outcome = await replication.waitForReplication();
    const rows = await db.em.getConnection().execute<{ seq: number }[]>('SELECT seq FROM _litestream_seq');
    return { outcome, nudges: rows[0]?.seq ?? 0 };
  };

  it('writes Litestream’s own row while the writer lease allows it', async () => {
    const { outcome, nudges } = await nudgesAfterWaiting({ mayWrite: () => Promise.resolve(true) });
    expect(outcome).toBe('pending');
    // 2 s before the first nudge, then one a second until the 3.5 s bound.
    expect(nudges).toBeGreaterThanOrEqual(1);
  }, 15_000);

  it('writes nothing once the lease is lost: the save is answered pending', async () => {
    let asked = 0;
    const lost: WriteGate = {
      mayWrite: () => {
        asked++;
        return Promise.resolve(false);
      },
    };
    expect(await nudgesAfterWaiting(lost)).toEqual({ outcome: 'pending', nudges: 0 });
    expect(asked).toBeGreaterThanOrEqual(1); // it was asked, and said no
  }, 15_000);
});
