import { EntityManager } from '@mikro-orm/better-sqlite';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import { Post } from './entities/index.js';
import { coverJpeg } from './media/image-pipeline.js';
import { MediaService } from './media.service.js';
import { SettingsService } from './settings.service.js';
import { SOCIAL_CARD_OPTIONS, type SocialCardOptions } from './social-card/card-options.js';
import { renderCard } from './social-card/card-renderer.js';
import { cardSource, featureImageId, siteKey } from './social-card/card-source.js';
import { CARD_HEIGHT, CARD_WIDTH, FEATURE_SIZE } from './social-card/card-template.js';
import { mediaUrl } from './urls.js';
import { isPublishedAnyDate, postsPublishedAnyDateSql } from './visibility.js';
import { WRITE_GATE, type WriteGate } from './write-gate.js';

/** What `og:image` shows for a post: the author's replacement, else the generated card. */
export interface CardImage {
  /** Site-relative (`/media/:id/:name`). */
  url: string;
  width: number | null;
  height: number | null;
  type: string;
}

export type CardOutcome = 'made' | 'kept' | 'none' | 'failed';

export class CardTimeoutError extends Error {}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatDate(date: Date, language: string): string {
  let format = dateFormats.get(language);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(language, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
    } catch {
      format = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
    }
    dateFormats.set(language, format);
  }
  return format.format(date);
}

/**
 * Social cards: a 1200×630 PNG per published post (title, site name, date, feature image),
 * rendered with satori + resvg (social-card/) and stored as a Media row of purpose 'social-card'.
 *
 * When: right after the author's save of the post (`refresh`), while that request holds the CPU
 * (Cloud Run gives none between requests), bounded by `timeoutMs`; and, for published posts that
 * have none or a stale one (after an upgrade, an import, a new site name), a few at a time within
 * a small budget on the author's requests (`catchUp`: the dashboard, the author's first stop), never at
 * boot (a cold start would keep its first reader waiting). A render that fails or times out is
 * logged and leaves the post without a card: the save is never failed by it.
 */
@Injectable()
export class SocialCardsService {
  private readonly logger = new Logger('SocialCards');
  /** `post id:card source` pairs whose render failed in this process: catchUp does not try them again. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly em: EntityManager,
    private readonly media: MediaService,
    private readonly settings: SettingsService,
    private readonly events: ContentEvents,
    @Inject(SOCIAL_CARD_OPTIONS) private readonly options: SocialCardOptions,
    @Optional() @Inject(WRITE_GATE) private readonly gate?: WriteGate,
  ) {}

  /** Makes post `id`'s card if it is published and has none for what it shows now. Never throws. */
  async refresh(id: number): Promise<CardOutcome> {
    try {
      const outcome = await this.make(id, true);
      if (outcome === 'made') this.events.changed('post');
      return outcome;
    } catch (err) {
      this.logger.warn(`The social card of post ${id} was not made: ${err instanceof Error ? err.message : String(err)}`);
      return 'failed';
    }
  }

  /**
   * Makes missing or stale cards of published posts, newest first, until `budgetMs` has passed
   * (the card under way is finished). Resolves to how many were made. Never throws.
   */
  async catchUp(budgetMs: number): Promise<number> {
    const deadline = Date.now() + budgetMs;
    let made = 0;
    try {
      // The dashboard's catch-up is no author write (no WritePipeline): asked like the view counters.
      if (this.gate && !(await this.gate.mayWrite())) return 0;
      const site = siteKey(await this.settings.get());
      const tried = new Set<number>();
      while (Date.now() < deadline) {
        const next = await this.nextMissing(site, tried);
        if (!next) break;
        tried.add(next);
        const outcome = await this.make(next, false).catch((err: unknown) => {
          this.logger.warn(`The social card of post ${next} was not made: ${err instanceof Error ? err.message : String(err)}`);
          return 'failed' as const;
        });
        if (outcome === 'made') made++;
      }
    } catch (err) {
      this.logger.warn(`Catching up on social cards stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (made > 0) this.events.changed('post');
    return made;
  }

  /**
   * The newest published post whose card is missing or stale, other than `tried`: none yet, made
   * for another site name, language or template, or naming a card row that is gone.
   */
  private async nextMissing(site: string, tried: Set<number>): Promise<number | null> {
    const skip = [...tried];
    const rows = await this.em.fork().execute<{ id: number }[]>(
      `select id from post
        where ${postsPublishedAnyDateSql('post')}
          and (card_id is null or card_source is null or card_source not like ?
               or not exists (select 1 from media where media.id = post.card_id))
          ${skip.length > 0 ? `and id not in (${skip.map(() => '?').join(', ')})` : ''}
        order by published_at desc, id desc limit 1`,
      [`${site}:%`, ...skip],
    );
    return rows[0]?.id ?? null;
  }

  /** The image `og:image` names for a post, or null (no card yet, or its image is gone). */
  async imageFor(post: Pick<Post, 'cardId' | 'cardImageId'>): Promise<CardImage | null> {
    const id = post.cardImageId ?? post.cardId;
    if (id === null) return null;
    const media = await this.media.findById(id);
    if (!media) return null;
    return { url: mediaUrl(media), width: media.width, height: media.height, type: media.contentType };
  }

  /** `retry`: render even if this card failed before (the author saved the post again). */
  private async make(id: number, retry: boolean): Promise<CardOutcome> {
    const post = await this.em.fork().findOne(Post, id, {
      fields: ['id', 'slug', 'title', 'markdown', 'status', 'publishedAt', 'updatedAt', 'cardId', 'cardSource'],
    });
    if (!post || !isPublishedAnyDate(post)) return 'none';
    const site = await this.settings.get();
    const featureId = featureImageId(post.markdown);
    const source = cardSource(siteKey(site), { title: post.title, publishedAt: post.publishedAt, featureId });
    // Kept only if its row is still there: a post may name a card row that is gone (before the
    // card's row and link shared a transaction, a concurrent render could delete it in between).
    if (post.cardId !== null && post.cardSource === source && (await this.media.findById(post.cardId))) return 'kept';
    const attempt = `${id}:${source}`;
    if (!retry && this.failed.has(attempt)) return 'failed';

    const started = Date.now();
    this.failed.add(attempt); // until it succeeds
    const png = await this.withinBound(async () => {
      const feature = featureId === null ? null : await this.featureDataUri(featureId);
      return renderCard(
        { title: post.title, siteName: site.title, date: formatDate(post.publishedAt, site.language), feature },
        this.options.assetsDir,
      );
    });
    this.failed.delete(attempt);
    const { media: card, linked: stored } = await this.media.storeGenerated(
      png,
      { filename: `card-${post.slug}.png`.slice(0, 200), purpose: 'social-card', width: CARD_WIDTH, height: CARD_HEIGHT },
      // In the row's own transaction: a card row is never committed unnamed (see storeGenerated).
      async (em, media) => {
        // Only if the post is as it was when the render started (a save in between makes its own).
        const changed = await em.nativeUpdate(Post, { id, updatedAt: post.updatedAt }, { cardId: media.id, cardSource: source });
        await this.dropUnusedCards(em);
        return changed > 0;
      },
    );
    this.logger.log(`Social card of post ${id}: ${card.filename} in ${Date.now() - started} ms`);
    return stored ? 'made' : 'none';
  }

  /**
   * Runs a render, giving up (CardTimeoutError) after `timeoutMs`. The save stops waiting at the
   * bound whenever the render awaits (loading fonts, the feature image); its synchronous stretches
   * (layout, rasterising: ~0.1–0.5 s) cannot be cut short in this thread, so a render that ends
   * past the bound is thrown away too: a card is only ever stored from a render within it.
   */
  private async withinBound<T>(work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const late = () => new CardTimeoutError(`rendering took over ${this.options.timeoutMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), this.options.timeoutMs);
    });
    const running = work();
    running.catch(() => undefined); // a render that fails after the timeout has nobody to tell
    try {
      const result = await Promise.race([running, timeout]);
      if (Date.now() - started > this.options.timeoutMs) throw late();
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The feature image cropped for the card's panel, as a data URI; null if it cannot be read. */
  private async featureDataUri(id: number): Promise<string | null> {
    const media = await this.media.findById(id);
    if (!media) return null;
    try {
      const jpeg = await coverJpeg(await this.media.originalBytes(media), FEATURE_SIZE.width, FEATURE_SIZE.height);
      return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    } catch (err) {
      this.logger.warn(`The feature image ${id} was left off a social card: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /**
   * Deletes the rows of cards no post names any more (a title changed). Their objects stay until
   * the media store's orphan sweep (an hour later at the earliest): until this change is
   * replicated, a restore may still name them.
   */
  private async dropUnusedCards(em: EntityManager): Promise<void> {
    // em.execute: inside this transaction (the app has one connection; outside it would wait forever).
    await em.execute(
      `delete from media where purpose = 'social-card'
         and id not in (select card_id from post where card_id is not null)
         and id not in (select card_image_id from post where card_image_id is not null)`,
    );
  }
}
