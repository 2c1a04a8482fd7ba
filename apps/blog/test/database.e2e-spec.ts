import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EntityManager, MikroORM } from '@mikro-orm/better-sqlite';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import Database from 'better-sqlite3';
import request from 'supertest';

import { ENTITIES, ormConfig } from '../src/database/orm.config.js';
import { schemaDrift } from '../src/database/schema-drift.js';
import { migrationNames } from '../src/migrations/index.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** An entity nobody wrote a migration for. */
@Entity({ tableName: 'unmigrated_thing' })
class UnmigratedThing {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;
}

describe('database', () => {
  describe('on an empty file', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('runs every committed migration before the app answers', async () => {
      const conn = t.app.get(EntityManager).getConnection();
      const tables = (
        await conn.execute<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      ).map((r) => r.name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'post',
          'page',
          'tag',
          'post_tags',
          'setting',
          'post_view',
          'post_search',
          'mikro_orm_migrations',
        ]),
      );
      const applied = await conn.execute<{ name: string }[]>('SELECT name FROM mikro_orm_migrations');
      expect(applied.map((m) => m.name)).toEqual(migrationNames);
      expect(migrationNames[0]).toMatch(/^Migration\d{14}_init$/);
      await request(t.server).get('/').expect(200);
    });

    it('uses the pragmas Litestream depends on', async () => {
      const conn = t.app.get(EntityManager).getConnection();
      expect(await conn.execute('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await conn.execute('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await conn.execute('PRAGMA busy_timeout')).toEqual([{ timeout: 5000 }]);
      expect(await conn.execute('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]); // NORMAL
    });

    it('begins transactions IMMEDIATE: the write lock is held from BEGIN, before anything is read or written', async () => {
      // A deferred BEGIN would leave the lock free here, and a later write could meet a commit made
      // since (SQLITE_BUSY_SNAPSHOT, busy_timeout or not: src/database/immediate-transactions.ts).
      const other = new Database(t.databasePath);
      try {
        other.pragma('busy_timeout = 0');
        const tryWrite = () => {
          try {
            other.exec('BEGIN IMMEDIATE; ROLLBACK;');
            return 'free';
          } catch (err) {
            return (err as { code?: string }).code;
          }
        };
        const inside = await t.app.get(EntityManager).transactional(async (em) => {
          await em.getConnection().execute('SELECT 1', [], 'all', em.getTransactionContext());
          return tryWrite();
        });
        expect({ inside, after: tryWrite() }).toEqual({ inside: 'SQLITE_BUSY', after: 'free' });
      } finally {
        other.close();
      }
    });
  });

  describe('schema drift check', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'inkstone-drift-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('finds none between the entities and the committed migrations', async () => {
      const orm = await MikroORM.init(ormConfig(join(dir, 'a.db')));
      try {
        expect(await schemaDrift(orm)).toBe('');
      } finally {
        await orm.close();
      }
    });

    it('reports an entity that changed without a migration', async () => {
      const orm = await MikroORM.init(ormConfig(join(dir, 'b.db'), { entities: [...ENTITIES, UnmigratedThing] }));
      try {
        expect(await schemaDrift(orm)).toMatch(/create table `unmigrated_thing`/);
      } finally {
        await orm.close();
      }
    });
  });
});
