import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ContentModule } from '@app/content';

import { loadConfig } from '../config/config.js';
import { DatabaseModule } from '../database/database.module.js';
import { MediaStoreModule } from '../media/media-store.module.js';

/**
 * The content services on a database, without the web app: migrations run first, as at app
 * start, so an import can target a new, empty file.
 */
export async function withContent<T>(databasePath: string, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  // Images go where the app would put them for this database (MEDIA_STORE_URL, or beside it).
  const config = loadConfig({ ...process.env, NODE_ENV: undefined, DATABASE_PATH: databasePath });
  @Module({
    imports: [DatabaseModule.forRoot(databasePath), MediaStoreModule.forRoot(config.mediaStore, 0), ContentModule],
  })
  class CliModule {}
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'], abortOnError: false });
  try {
    return await RequestContext.create(app.get(EntityManager), () => fn(app));
  } finally {
    await app.close();
  }
}
