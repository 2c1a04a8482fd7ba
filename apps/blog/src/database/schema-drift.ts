import type { MikroORM } from '@mikro-orm/better-sqlite';

/**
 * The SQL that would bring a database migrated with the committed migrations in line with the
 * entities. Empty means the migrations and the entities agree.
 */
export async function schemaDrift(orm: MikroORM): Promise<string> {
  await orm.getMigrator().up();
  const sql = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
  return sql.trim();
}
