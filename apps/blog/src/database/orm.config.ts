import { defineConfig, type Options } from '@mikro-orm/better-sqlite';

import { authEntities } from '@app/auth';
import { contentEntities } from '@app/content';

import { MIGRATIONS_SRC_DIR } from '../paths.js';
import { ImmediateTransactionsDialect } from './immediate-transactions.js';

/**
 * Tables the ORM does not own: Litestream's bookkeeping and the FTS5 index with its shadow
 * tables. Without this a generated migration would try to drop them.
 */
export const FOREIGN_TABLES = [/^_litestream_/, /^post_search/];

export const ENTITIES = [...contentEntities, ...authEntities];

interface BetterSqliteConnection {
  pragma(sql: string): unknown;
}

/**
 * Which connection checkpoints the WAL: exactly one. Under Litestream (start.sh) it is Litestream,
 * which cannot be told not to, so the app never does; alone (`npm start`, the CLIs, most tests)
 * the app checkpoints with SQLite's default PASSIVE autocheckpoint at 1,000 pages.
 */
export type Checkpointer = 'app' | 'litestream';

export function ormConfig(databasePath: string, overrides: Partial<Options> = {}, checkpointer: Checkpointer = 'app'): Options {
  return defineConfig({
    dbName: databasePath,
    entities: ENTITIES,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    metadataCache: { enabled: false },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    // Write transactions begin IMMEDIATE, so Litestream's commits cannot fail a save (why: see there).
    driverOptions: { client: ImmediateTransactionsDialect },
    pool: {
      // One connection, as knex's SQLite default, said here because the app relies on it: one
      // writer, transactions that own the connection, and search's snippets in a TEMP table
      // (per connection) across several statements (libs/content search.service.ts).
      min: 1,
      max: 1,
      // Why here: every connection needs these, and Litestream depends on WAL. The app never
      // checkpoints with TRUNCATE/RESTART. Why one checkpointer: SQLite's WAL-reset bug is a
      // checkpoint racing another connection's write after an earlier checkpoint emptied the WAL;
      // Litestream's SQLite predates the fix, and its own checkpoints each end with its own write.
      afterCreate(conn: BetterSqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma(`wal_autocheckpoint = ${checkpointer === 'litestream' ? 0 : 1000}`);
          conn.pragma('busy_timeout = 5000');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: MIGRATIONS_SRC_DIR,
      pathTs: MIGRATIONS_SRC_DIR,
      // Why off at run time: after migrating, MikroORM would snapshot the live schema, and it cannot
      // read FTS5 tables. migration:create turns it on and diffs against the committed snapshot.
      snapshot: false,
      snapshotName: '.snapshot-inkstone',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
    schemaGenerator: { skipTables: FOREIGN_TABLES },
    ...overrides,
  });
}
