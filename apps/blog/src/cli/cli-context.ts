import { isAbsolute, resolve } from 'node:path';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ContentModule } from '@app/content';

import { DatabaseModule } from '../database/database.module.js';

/** The database the app would use: DATABASE_PATH, relative to the working directory, as in config.ts. */
export function databasePathFromEnv(env = process.env): string {
  const raw = env.DATABASE_PATH?.trim() || './data/inkstone.db';
  return isAbsolute(raw) ? raw : resolve(raw);
}

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

/** Ends a command with a message for the person who ran it, never a stack trace. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
