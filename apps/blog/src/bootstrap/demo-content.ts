import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { ContentSaver, PagesService, PostsService, SettingsService } from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import { retryWhileBusy } from '../database/first-boot.js';
import type { AppConfig } from '../config/config.js';
import { ABOUT_PAGE, WELCOME_POST } from './demo-content.text.js';

const FLAG = 'demo-content';

/**
 * On a database that never had content, writes a welcome post and an About page, once:
 * an author who deletes them does not get them back.
 */
@Injectable()
export class DemoContent implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoContent');

  constructor(
    private readonly em: EntityManager,
    private readonly posts: PostsService,
    private readonly saver: ContentSaver,
    private readonly pages: PagesService,
    private readonly settings: SettingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoContent) return;
    // Each step is one transaction, repeated on its own (in a fresh context) when it met
    // Litestream's locks on a new file (database/first-boot.ts).
    const step = (fn: () => Promise<unknown>) => retryWhileBusy(() => RequestContext.create(this.em, fn));
    let fresh = false;
    await step(async () => {
      fresh = !(await this.settings.flag(FLAG)) && (await this.posts.count()) === 0;
    });
    if (fresh) {
      // The save alone, without PostsService's social card: drawing it at boot would delay the first
      // start (~1.5 s); the dashboard makes it when the author first signs in.
      await step(() => this.saver.savePost(null, { ...WELCOME_POST, status: 'published' }));
      await step(() => this.pages.create({ ...ABOUT_PAGE, status: 'published', navOrder: 1 }));
      this.logger.log('Created the welcome post and the About page');
    }
    await step(() => this.settings.setFlag(FLAG));
  }
}
