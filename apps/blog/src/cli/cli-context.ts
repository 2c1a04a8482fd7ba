import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ContentModule } from '@app/content';

import { DatabaseModule } from '../database/database.module.js';

/**
 * The content services on a database, without the web app: migrations run first, as at app
 * start, so an import can target a new, empty file.
 */
export async function withContent<T>(databasePath: string, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  @Module({ imports: [DatabaseModule.forRoot(databasePath), ContentModule] })
  class CliModule {}
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'], abortOnError: false });
  try {
    return await RequestContext.create(app.get(EntityManager), () => fn(app));
  } finally {
    await app.close();
  }
}
