import type { MikroORM } from '@mikro-orm/better-sqlite';
import type { Migrator } from '@mikro-orm/migrations';

import { loadMigrationsList, migrationNames } from '../migrations/index.js';
import { retryWhileBusy } from './first-boot.js';

/**
 * @mikro-orm/migrations (umzug and its CLI helpers) is about a third of the app's code, and an
 * instance that starts on an up-to-date database never needs it: it is loaded on demand.
 */
export async function loadMigrator(orm: MikroORM): Promise<Migrator> {
  // One after the other: Jest's ES module loader fails on concurrent imports of one module graph.
  const { Migrator } = await import('@mikro-orm/migrations');
  orm.config.get('migrations').migrationsList = await loadMigrationsList();
  Migrator.register(orm);
  return orm.getMigrator() as Migrator;
}

/** Applies pending migrations; names what it applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (!(await hasPendingMigrations(orm))) return [];
  const migrator = await loadMigrator(orm);
  // On a new blog Litestream attaches to the file while the first migrations run (see first-boot.ts);
  // the migrations run all-or-nothing, so trying again is safe.
  return retryWhileBusy(async () => (await migrator.up()).map((m) => m.name));
}

/** One indexed read instead of loading the migrator: which of our migrations is not recorded. */
async function hasPendingMigrations(orm: MikroORM): Promise<boolean> {
  const conn = orm.em.getConnection();
  const [table] = await conn.execute<{ n: number }[]>(
    `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`,
    [orm.config.get('migrations').tableName],
  );
  if (!table.n) return true;
  const rows = await conn.execute<{ name: string }[]>(`SELECT name FROM ${orm.config.get('migrations').tableName}`);
  const applied = new Set(rows.map((r) => r.name));
  return migrationNames.some((name) => !applied.has(name));
}
