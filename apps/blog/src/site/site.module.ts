import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';

import { ContentModule } from '@app/content';

import { FeedsController } from './feeds.controller.js';
import { HomeController } from './home.controller.js';
import { MediaController } from './media.controller.js';
import { PageCacheFastPath } from './page-cache.fast-path.js';
import { PageCache } from './page-cache.service.js';
import { PagesController } from './pages.controller.js';
import { PostsController } from './posts.controller.js';
import { SearchController } from './search.controller.js';
import { SeoController } from './seo.controller.js';
import { SiteContextService } from '../views/site-context.service.js';
import { SiteLocalsMiddleware } from './site-locals.middleware.js';
import { TagsController } from './tags.controller.js';
import { WebmentionController } from './webmention.controller.js';
import { WebmentionModule } from '../webmention/webmention.module.js';

/** The reader's site. PagesController (/:slug) must stay last: routes match in this order. */
@Module({
  imports: [ContentModule, WebmentionModule],
  controllers: [
    HomeController,
    PostsController,
    TagsController,
    SearchController,
    FeedsController,
    SeoController,
    MediaController,
    WebmentionController,
    PagesController,
  ],
  providers: [SiteContextService, PageCache, PageCacheFastPath],
  exports: [SiteContextService, PageCache, PageCacheFastPath],
})
export class SiteModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SiteLocalsMiddleware).exclude('healthz').forRoutes('{*splat}');
  }
}
