import { EntityManager, MikroORM } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { createDatabaseFile } from './first-boot.js';
import { migrate } from './migrate.js';
import { ormConfig } from './orm.config.js';

export const DATABASE_PATH = Symbol('DATABASE_PATH');

/**
 * MikroORM as a global Nest module (replaces @mikro-orm/nestjs, which does not support Nest 12).
 * Pending migrations run inside the ORM provider, so the app cannot listen before they are done.
 */
@Global()
@Module({})
export class DatabaseModule implements NestModule, OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  static forRoot(databasePath: string): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_PATH, useValue: databasePath },
        {
          provide: MikroORM,
          useFactory: async () => {
            createDatabaseFile(databasePath);
            const orm = await MikroORM.init(ormConfig(databasePath));
            const applied = await migrate(orm);
            if (applied.length) new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
            return orm;
          },
        },
        { provide: EntityManager, useFactory: (orm: MikroORM) => orm.em, inject: [MikroORM] },
      ],
      exports: [MikroORM, EntityManager, DATABASE_PATH],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Every request gets its own identity map; services use the global em, which resolves to it.
    consumer
      .apply((_req: unknown, _res: unknown, next: () => void) => RequestContext.create(this.orm.em, next))
      .forRoutes('{*splat}');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close();
    this.logger.log('Database closed');
  }
}
