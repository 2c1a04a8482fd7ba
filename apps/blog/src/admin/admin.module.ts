import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ContentModule } from '@app/content';

import { DurabilityModule } from '../durability/durability.module.js';
import { AuthController } from './auth.controller.js';
import { AdminBackupController } from './backup.controller.js';
import { replicationNotice } from './notices.js';
import { DashboardController } from './dashboard.controller.js';
import { AdminMediaController } from './media.controller.js';
import { AdminPagesController } from './pages.controller.js';
import { AdminPostsController } from './posts.controller.js';
import { PreviewController } from './preview.controller.js';
import { AdminRedirectsController } from './redirects.controller.js';
import { AdminSettingsController } from './settings.controller.js';
import { AdminTagsController } from './tags.controller.js';
import { AdminWebmentionsController } from './webmentions.controller.js';
import { WebmentionModule } from '../webmention/webmention.module.js';

/**
 * The author's side. Every controller but AuthController carries AdminGuard at class level, and
 * every one is an AdminController: its POSTs are author writes, run by the write pipeline.
 */
@Module({
  imports: [ContentModule, DurabilityModule, WebmentionModule],
  controllers: [
    AuthController,
    DashboardController,
    AdminPostsController,
    AdminPagesController,
    AdminTagsController,
    AdminMediaController,
    AdminSettingsController,
    AdminBackupController,
    AdminRedirectsController,
    AdminWebmentionsController,
    PreviewController,
  ],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Admin pages are personal: never stored by a browser cache or a CDN, never indexed.
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('X-Robots-Tag', 'noindex, nofollow');
        res.locals.replication = replicationNotice(req.query.replication);
        next();
      })
      .forRoutes('admin', 'admin/{*splat}');
  }
}
