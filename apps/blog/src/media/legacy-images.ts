import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { MediaService } from '@app/content';

import { compactIfMostlyFree } from '../database/compact.js';
import { retryWhileBusy } from '../database/first-boot.js';

/**
 * How long one start may spend on images from before the media store (moving BLOBs, then making
 * renditions). Why at boot and bounded: Cloud Run gives a starting instance its CPU until the
 * startup probe passes, and gives almost none between requests; a reader's or the author's request
 * that paid for a photo's renditions (2–6 s each here) would wait for it. The startup probe allows
 * a 20 s boot (deploy-budget.e2e-spec.ts); this share leaves the rest to migrations and the admin
 * account. What does not fit is done by the next start: a blog scaled to zero starts again at its
 * next visit, and every image keeps being served as before (from the database, or without srcset)
 * until its turn. (Unbounded, moving 300 photos of 400 KB took 60 s of one start here.)
 */
export const LEGACY_BOOT_BUDGET_MS = 10_000;

/**
 * At boot, before the app listens, images from before the media store are brought up to what an
 * upload makes today, each step resumable: (1) BLOBs move to the media store (one query when
 * there is nothing to move); (2) once all are out, the file is compacted when much of it is free
 * (database/compact.ts; RAM on Cloud Run); (3) images without renditions get them. (1) and (3)
 * stop at LEGACY_BOOT_BUDGET_MS. A failing store or pipeline never stops the start.
 */
@Injectable()
export class LegacyImageUpgrade implements OnApplicationBootstrap {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly em: EntityManager,
    private readonly media: MediaService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const deadline = Date.now() + LEGACY_BOOT_BUDGET_MS;
    // Compacted once every BLOB is out (before, VACUUM would rewrite the ones left); renditions
    // only then too: images still in the database are served from it until the next start.
    if (!(await this.moveBlobs(deadline))) return;
    await this.compact();
    await this.makeRenditions(deadline);
  }

  /** True once no image is left in the database. */
  private async moveBlobs(deadline: number): Promise<boolean> {
    let moved = 0;
    try {
      const done = await retryWhileBusy(() =>
        RequestContext.create(this.em, () => this.media.moveLegacyBlobs((n) => (moved = n), deadline)),
      );
      if (done.moved > 0)
        this.logger.log(
          `Moved ${done.moved} image(s) from the database to ${this.media.storeLocation}` +
            (done.left ? '; the rest at the next start' : ''),
        );
      return !done.left;
    } catch (err) {
      // The blog still starts: the images not moved yet are served from the database, and the next
      // start carries on. A store that is down must not become a crash loop.
      this.logger.error(
        `Moving images to ${this.media.storeLocation} stopped after ${moved}; the rest stay in the database until the next start: ${(err as Error).message}`,
      );
      return false;
    }
  }

  private async compact(): Promise<void> {
    try {
      const done = await compactIfMostlyFree(this.em);
      if (done) {
        const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
        this.logger.log(`Compacted the database: ${mb(done.beforeBytes)} → ${mb(done.afterBytes)}`);
      }
    } catch (err) {
      this.logger.warn(`The database was not compacted (tried again at the next start): ${(err as Error).message}`);
    }
  }

  private async makeRenditions(deadline: number): Promise<void> {
    try {
      const progress = await RequestContext.create(this.em, () => this.media.makeMissingRenditions(deadline));
      for (const r of progress.refused)
        this.logger.warn(`Image ${r.id} (${r.filename}) keeps no renditions: ${r.reason} It is served as it is.`);
      if (progress.done > 0 || progress.left > 0)
        this.logger.log(
          `Made renditions for ${progress.done} image(s) from before them` +
            (progress.left ? `; ${progress.left} left for the next start` : ''),
        );
    } catch (err) {
      this.logger.error(`Making renditions stopped (the next start carries on): ${(err as Error).message}`);
    }
  }
}
