import type { MikroORM } from '@mikro-orm/better-sqlite';
import type { Migrator } from '@mikro-orm/migrations';

import { loadMigrationsList, migrationNames } from '../migrations/index.js';

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
  for (let attempt = 1; ; attempt++) {
    try {
      return (await migrator.up()).map((m) => m.name);
    } catch (err) {
      // On a brand-new file Litestream takes its own locks while it sets the database up; a
      // deferred transaction that must upgrade to a write lock then fails at once with
      // SQLITE_BUSY instead of waiting. The migrations run all-or-nothing, so trying again is safe.
      if (!isBusy(err) || attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function isBusy(err: unknown): boolean {
  return /SQLITE_BUSY|database is locked/.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message ?? ''}`);
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
