import { Module } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import { ContentSaver } from './content-saver.js';
import { MediaService } from './media.service.js';
import { PagesService } from './pages.service.js';
import { PostsService } from './posts.service.js';
import { ExportService, ImportService } from './portability/index.js';
import { RedirectsService } from './redirects.service.js';
import { RevisionsService } from './revisions.service.js';
import { SearchService } from './search.service.js';
import { SettingsService } from './settings.service.js';
import { SocialCardsService } from './social-cards.service.js';
import { TagsService } from './tags.service.js';
import { ViewCounterService } from './view-counter.service.js';
import { WebmentionsService } from './webmentions.service.js';

const services = [
  Clock,
  ContentEvents,
  ContentSaver,
  PostsService,
  PagesService,
  TagsService,
  SettingsService,
  SearchService,
  ViewCounterService,
  RevisionsService,
  MediaService,
  ExportService,
  ImportService,
  RedirectsService,
  WebmentionsService,
  SocialCardsService,
];

/** Needs a global EntityManager provider (the app's database module) configured with `contentEntities`. */
@Module({ providers: services, exports: services })
export class ContentModule {}
