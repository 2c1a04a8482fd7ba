/**
 * `npm run db:check`: fails when the entities and the committed migrations disagree, i.e. when
 * someone changed an entity and forgot `npm run migration:create`. Runs in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MikroORM } from '@mikro-orm/better-sqlite';

import { ormConfig } from '../database/orm.config.js';
import { schemaDrift } from '../database/schema-drift.js';

const dir = mkdtempSync(join(tmpdir(), 'inkstone-drift-'));
const orm = await MikroORM.init(ormConfig(join(dir, 'check.db')));
try {
  const drift = await schemaDrift(orm);
  if (drift) {
    console.error('Schema drift: the entities differ from the committed migrations. Run `npm run migration:create`.\n');
    console.error(drift);
    process.exitCode = 1;
  } else {
    console.log('Schema check: migrations match the entities.');
  }
} finally {
  await orm.close();
  rmSync(dir, { recursive: true, force: true });
}
