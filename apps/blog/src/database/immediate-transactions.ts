import { BetterSqliteKnexDialect } from '@mikro-orm/better-sqlite';

/**
 * Why every transaction begins IMMEDIATE: knex begins with a plain (deferred) `BEGIN`, which
 * starts as a read. A transaction that has read and then writes, while another connection has
 * committed since its read began, fails at once with SQLITE_BUSY (SQLITE_BUSY_SNAPSHOT): waiting
 * could not help, its snapshot is stale, so SQLite ignores busy_timeout. Under start.sh that other
 * connection is Litestream, which writes `_litestream_seq` after each of its checkpoints, so an
 * author's save answered 500 (busy-saves.e2e-spec.ts: 8 of 236 saves with Litestream checkpointing
 * every 1 ms). `BEGIN IMMEDIATE` takes the write lock first, waiting up to busy_timeout for it, and
 * reads under it, so no snapshot can go stale. Every transaction the app runs writes (em.flush,
 * em.transactional, migrations; reads run outside transactions), so none is serialised for
 * nothing; savepoints (nested transactions) are unchanged.
 *
 * How: knex takes its dialect (client) class from its config, and MikroORM merges `driverOptions`
 * into that config (orm.config.ts): this is MikroORM's own better-sqlite dialect with one change.
 */
export class ImmediateTransactionsDialect extends BetterSqliteKnexDialect {
  transaction(...args: unknown[]): KnexTransaction {
    const trx = super.transaction(...args) as KnexTransaction;
    // knex calls begin() only later, once it has the connection (Transaction._onAcquire).
    trx.begin = (conn) => trx.query(conn, 'BEGIN IMMEDIATE;');
    return trx;
  }
}

/** The two members of knex's (untyped here) Transaction this uses. */
interface KnexTransaction {
  begin(conn: unknown): Promise<unknown>;
  query(conn: unknown, sql: string): Promise<unknown>;
}
