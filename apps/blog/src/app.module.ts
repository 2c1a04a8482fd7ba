import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ServeStaticModule } from '@nestjs/serve-static';

import { ContentModule } from '@app/content';

import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { DemoContent } from './bootstrap/demo-content.js';
import { PUBLIC_DIR } from './paths.js';
import { SiteModule } from './site/site.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config.databasePath),
        ServeStaticModule.forRoot({
          rootPath: PUBLIC_DIR,
          serveRoot: '/static',
          serveStaticOptions: { index: false, fallthrough: true, maxAge: '1h' },
        }),
        ContentModule,
        // Last: its /:slug route must not shadow anything registered before it.
        SiteModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }, DemoContent],
    };
  }
}
