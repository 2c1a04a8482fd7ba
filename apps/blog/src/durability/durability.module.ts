import { Global, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { WRITE_GATE } from '@app/content';

import { ReplicatedSaveMiddleware } from './replicated-save.middleware.js';
import { ReplicationService } from './replication.service.js';
import { WriteLeaseInterceptor } from './writer-lease/write-lease.interceptor.js';
import { WriterLeaseService } from './writer-lease/writer-lease.service.js';

/** Global so that @app/content's view counters find the write gate. */
@Global()
@Module({
  providers: [
    ReplicationService,
    WriterLeaseService,
    { provide: WRITE_GATE, useExisting: WriterLeaseService },
    { provide: APP_INTERCEPTOR, useClass: WriteLeaseInterceptor },
  ],
  exports: [ReplicationService, WriterLeaseService, WRITE_GATE],
})
export class DurabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ReplicatedSaveMiddleware).forRoutes({ path: 'admin/{*splat}', method: RequestMethod.POST });
  }
}
