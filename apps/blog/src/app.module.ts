import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ServeStaticModule } from '@nestjs/serve-static';

import { AuthModule } from '@app/auth';
import { ContentModule } from '@app/content';

import { AdminModule } from './admin/admin.module.js';
import { AdminAccount } from './bootstrap/admin-account.js';
import { RESOLVED_SECRETS, type ResolvedSecrets } from './bootstrap/secrets.js';
import { HttpExceptionFilter } from './errors/http-exception.filter.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { DemoContent } from './bootstrap/demo-content.js';
import { DurabilityModule } from './durability/durability.module.js';
import { HealthModule } from './health/health.module.js';
import { LegacyImageUpgrade } from './media/legacy-images.js';
import { MediaStoreModule } from './media/media-store.module.js';
import { PUBLIC_DIR } from './paths.js';
import { SiteModule } from './site/site.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, secrets: ResolvedSecrets): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // Under Litestream (start.sh sets its metrics URL) Litestream alone checkpoints.
        DatabaseModule.forRoot(config.databasePath, config.litestreamMetricsUrl ? 'litestream' : 'app'),
        ServeStaticModule.forRoot({
          rootPath: PUBLIC_DIR,
          serveRoot: '/static',
          // redirect: false: a directory is a 404, not a 301 to itself with a slash.
          serveStaticOptions: { index: false, redirect: false, fallthrough: true, maxAge: '1h' },
        }),
        MediaStoreModule.forRoot(config.mediaStore, config.mediaCacheBytes, config.socialCardTimeoutMs),
        ContentModule,
        AuthModule.forRoot({ sessionSecret: secrets.sessionSecret, secureCookies: config.production }),
        DurabilityModule,
        HealthModule,
        AdminModule,
        // Last: its /:slug route must not shadow anything registered before it.
        SiteModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: RESOLVED_SECRETS, useValue: secrets },
        AdminAccount,
        DemoContent,
        LegacyImageUpgrade,
      ],
    };
  }
}
