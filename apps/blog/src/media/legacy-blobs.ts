import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { MediaService } from '@app/content';

import { retryWhileBusy } from '../database/first-boot.js';

/**
 * At boot, before the app listens (Cloud Run gives a starting instance the CPU): images that a
 * blog uploaded while bytes still lived in the database are moved to the media store. One query
 * when there is nothing to move; resumable when a start is cut short or the store fails.
 */
@Injectable()
export class LegacyBlobMove implements OnApplicationBootstrap {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly em: EntityManager,
    private readonly media: MediaService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let moved = 0;
    try {
      await retryWhileBusy(() => RequestContext.create(this.em, () => this.media.moveLegacyBlobs((n) => (moved = n))));
    } catch (err) {
      // The blog still starts: the images not moved yet are served from the database, and the next
      // start carries on. A store that is down must not become a crash loop.
      this.logger.error(
        `Moving images to ${this.media.storeLocation} stopped after ${moved}; the rest stay in the database until the next start: ${(err as Error).message}`,
      );
    }
    if (moved > 0) this.logger.log(`Moved ${moved} image(s) from the database to ${this.media.storeLocation}`);
  }
}
