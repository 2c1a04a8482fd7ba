import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';

import { ReplicatedSaveMiddleware } from './replicated-save.middleware.js';
import { ReplicationService } from './replication.service.js';

@Module({ providers: [ReplicationService], exports: [ReplicationService] })
export class DurabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ReplicatedSaveMiddleware).forRoutes({ path: 'admin/{*splat}', method: RequestMethod.POST });
  }
}
