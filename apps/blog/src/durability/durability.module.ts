import { Global, Module } from '@nestjs/common';

import { WRITE_GATE } from '@app/content';

import { ReplicationService } from './replication.service.js';
import { WriterLeaseService } from './writer-lease/writer-lease.service.js';

/** Global so that @app/content's view counters find the write gate. */
@Global()
@Module({
  providers: [ReplicationService, WriterLeaseService, { provide: WRITE_GATE, useExisting: WriterLeaseService }],
  exports: [ReplicationService, WriterLeaseService, WRITE_GATE],
})
export class DurabilityModule {}
