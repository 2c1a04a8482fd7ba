import { Module } from '@nestjs/common';

import { HealthController } from './health.controller.js';

/** Cloud Run's startup probe, /healthz: apart from the reader's site, which it is not part of. */
@Module({ controllers: [HealthController] })
export class HealthModule {}
