import type { MikroORM } from '@mikro-orm/better-sqlite';

import { loadMigrator } from './migrate.js';

/**
 * The SQL that would bring a database migrated with the committed migrations in line with the
 * entities. Empty means the migrations and the entities agree.
 */
export async function schemaDrift(orm: MikroORM): Promise<string> {
  await (await loadMigrator(orm)).up();
  const sql = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
  return sql.trim();
}
