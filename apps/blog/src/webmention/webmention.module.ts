import { Module } from '@nestjs/common';

import { ContentModule } from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { BoundedFetch } from './bounded-fetch.js';
import { WebmentionReceiver } from './receiver.service.js';
import { WebmentionSender } from './sender.service.js';

/** Webmention's network side: receiving (verification of sources) and sending. */
@Module({
  imports: [ContentModule],
  providers: [
    {
      provide: BoundedFetch,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new BoundedFetch(config.webmentionAllowLoopback),
    },
    WebmentionReceiver,
    WebmentionSender,
  ],
  exports: [WebmentionReceiver, WebmentionSender],
})
export class WebmentionModule {}
