import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { type INestApplicationContext, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ContentModule } from '@app/content';

import { loadConfig, type MediaStoreConfig } from '../config/config.js';
import { DatabaseModule } from '../database/database.module.js';
import { MediaStoreModule } from '../media/media-store.module.js';

/**
 * The content services on a database, without the web app: the database module (its migrations
 * run first, as at app start, so a new, empty file will do), the media store and @app/content.
 * The one set-up of the CLI's commands and of the specs' harness (test/support/content-on-sqlite.ts,
 * on `:memory:`). `cacheBytes`: the media store's hot-image cache.
 */
export function openContent(
  databasePath: string,
  mediaStore: MediaStoreConfig,
  cacheBytes: number,
  logger: LogLevel[] | false,
): Promise<INestApplicationContext> {
  @Module({
    imports: [DatabaseModule.forRoot(databasePath), MediaStoreModule.forRoot(mediaStore, cacheBytes), ContentModule],
  })
  class ContentOnlyModule {}
  return NestFactory.createApplicationContext(ContentOnlyModule, { logger, abortOnError: false });
}

/** Runs `fn` on the content services of `databasePath` (openContent), then closes them. */
export async function withContent<T>(databasePath: string, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  // Images go where the app would put them for this database (MEDIA_STORE_URL, or beside it).
  const config = loadConfig({ ...process.env, NODE_ENV: undefined, DATABASE_PATH: databasePath });
  const app = await openContent(databasePath, config.mediaStore, 0, ['error']);
  try {
    return await RequestContext.create(app.get(EntityManager), () => fn(app));
  } finally {
    await app.close();
  }
}
