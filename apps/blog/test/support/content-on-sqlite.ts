import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';

import { Clock } from '@app/content';

import { openContent } from '../../src/cli/cli-context.js';

/** @app/content's services on a real SQLite database, in memory, migrated as the app's is. */
export interface ContentOnSqlite {
  get: INestApplicationContext['get'];
  em: EntityManager;
  /** The services' clock: spy on `now` to move time. */
  clock: Clock;
  /** Runs `fn` with a fresh identity map, as each request does. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * For unit specs of the content library (and the app's specs that need it): the CLI's module
 * set-up (openContent: the database module with its migrations, the media store, the content
 * module) on `:memory:`, so a spec sees the real schema, FTS5 table included, and nothing outlives it.
 */
export async function contentOnSqlite(): Promise<ContentOnSqlite> {
  // Images go to a temporary folder (the media store), removed with the context.
  const mediaDir = mkdtempSync(join(tmpdir(), 'inkstone-spec-media-'));
  const app = await openContent(':memory:', { kind: 'folder', path: mediaDir }, 1024 * 1024, false);
  const em = app.get(EntityManager);
  return {
    get: app.get.bind(app) as INestApplicationContext['get'],
    em,
    clock: app.get(Clock),
    run: (fn) => RequestContext.create(em, fn),
    close: async () => {
      await app.close();
      rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}
