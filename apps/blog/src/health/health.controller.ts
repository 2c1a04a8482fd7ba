import { EntityManager } from '@mikro-orm/better-sqlite';
import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';

@Controller('healthz')
export class HealthController {
  constructor(private readonly em: EntityManager) {}

  /** 200 only when the database answers a query: this is Cloud Run's startup probe. */
  @Get()
  async check(@Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/plain');
    try {
      await this.em.getConnection().execute('SELECT 1 FROM mikro_orm_migrations LIMIT 1');
      res.status(200).send('ok');
    } catch {
      res.status(503).send('database unavailable');
    }
  }
}
