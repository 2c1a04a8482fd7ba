import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import { type ContentInput, validateInput } from './content-input.js';
import { Page, Post, type PostStatus, readerExcerpt, type RenderedBody, Revision, SlugRedirect } from './entities/index.js';
import { ContentNotFoundError, ContentValidationError } from './errors.js';
import { renderMarkdown } from './lazy-renderer.js';
import { MediaService } from './media.service.js';
import { SearchService } from './search.service.js';
import { featureImageId } from './social-card/card-source.js';
import { slugify, uniqueSlug } from './slug.js';
import { TagsService } from './tags.service.js';
import { mediaIdOf } from './urls.js';
import { publicationDate } from './visibility.js';

/**
 * Pages live at /:slug, so they must not take a path the site itself answers. Exported so the
 * app can check its own routes against it.
 */
export const RESERVED_PAGE_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'posts',
  'tags',
  'search',
  'media',
  'static',
  'healthz',
  'feed',
  'api',
  'login',
  'logout',
]);

/** What a post or page save writes: validated fields (content-input.ts) and its rendered body. */
interface Draft {
  title: string;
  markdown: string;
  body: RenderedBody;
  status: PostStatus;
  /** Null: keep the record's slug, or (new record) derive one from the title. Taken: "-2", "-3"… */
  slug: string | null;
  /** The author's summary, plain text and validated ('' = none); undefined: keep the record's. */
  summary?: string;
  /** An import's dates; absent: the ORM's (now). */
  createdAt?: Date | null;
  updatedAt?: Date | null;
}

export interface PostDraft extends Draft {
  /** Null: now when published, else whatever date the post had (see publicationDate). */
  publishedAt: Date | null;
  tags: string[];
  /** Old addresses of the post that an import brings: each answers with a 301 to it. */
  formerSlugs?: string[];
  /** Earlier revisions an import brings, written instead of a snapshot of this save. */
  revisions?: { title: string; markdown: string; createdAt: Date }[];
  /** The author's image in place of the generated social card; null: the generated one; absent: unchanged. */
  cardImageId?: number | null;
}

export interface PageDraft extends Draft {
  navOrder: number | null;
}

export interface PostWrite {
  post: Post;
  /** Former slugs left without a redirect because a post lives (or, `claimed`, will live) there. */
  refusedRedirects: string[];
}

/** Whether what a post's social card shows (title, date, feature image) is unchanged. */
function sameCardInputs(before: { title: string; publishedAt: Date | null; featureId: number | null }, post: Post): boolean {
  return (
    before.title === post.title &&
    before.publishedAt?.getTime() === post.publishedAt?.getTime() &&
    before.featureId === featureImageId(post.markdown)
  );
}

/**
 * The one save of posts and pages, for the editor and the importer alike: input → render (with
 * the stored facts of the images it shows) → slug, and for posts the redirects from old slugs →
 * revision → search index. The editor calls `savePost`/`savePage` (its own transaction, rendering
 * before it so the write lock is held only for the write); the importer calls `render` and
 * `writePost`/`writePage` inside its one transaction for the whole file.
 */
@Injectable()
export class ContentSaver {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly tags: TagsService,
    private readonly search: SearchService,
    private readonly events: ContentEvents,
    private readonly media: MediaService,
  ) {}

  /** Markdown as readers get it; `em`: a transaction's, to see images it has written. Also the preview's. */
  async render(markdown: string, em: EntityManager = this.em): Promise<RenderedBody> {
    return renderMarkdown(markdown, await this.media.imagesIn(markdown, em));
  }

  /** The editor's save of a new post (`id` null) or of post `id`. */
  async savePost(id: number | null, input: ContentInput): Promise<Post> {
    const valid = validateInput(input);
    const cardImageId = input.cardImage === undefined ? undefined : await this.cardImageId(input.cardImage);
    const body = await this.render(valid.markdown);
    const post = await this.em.transactional(async (em) => {
      const existing = id === null ? null : await em.findOne(Post, id, { populate: ['tags'] });
      if (id !== null && !existing) throw new ContentNotFoundError(`Post ${id} does not exist.`);
      return (await this.writePost(em, existing, { ...valid, body, cardImageId })).post;
    });
    this.events.changed('post');
    return post;
  }

  /** The editor's save of a new page (`id` null) or of page `id`. */
  async savePage(id: number | null, input: ContentInput): Promise<Page> {
    const valid = validateInput(input);
    const body = await this.render(valid.markdown);
    const page = await this.em.transactional(async (em) => {
      const existing = id === null ? null : await em.findOne(Page, id);
      if (id !== null && !existing) throw new ContentNotFoundError(`Page ${id} does not exist.`);
      return this.writePage(em, existing, { ...valid, body });
    });
    this.events.changed('page');
    return page;
  }

  /**
   * Writes a post (`existing`, tags loaded, or a new one) inside the caller's transaction.
   * `claimed`: slugs other records of the same import will take, so no redirect may start there.
   */
  async writePost(em: EntityManager, existing: Post | null, draft: PostDraft, claimed?: ReadonlySet<string>): Promise<PostWrite> {
    const wanted = draft.slug ?? existing?.slug ?? slugify(draft.title);
    const slug =
      existing && wanted === existing.slug ? wanted : await uniqueSlug(wanted, (s) => this.postSlugTaken(em, s, existing?.id));
    const movedFrom = existing && slug !== existing.slug ? existing.slug : null;
    const before = existing && {
      title: existing.title,
      publishedAt: existing.publishedAt,
      featureId: featureImageId(existing.markdown),
    };
    const post = existing ?? new Post(draft.title, slug, draft.markdown);
    if (slug !== existing?.slug) {
      // A live post wins over an old slug of another post that pointed here.
      await em.nativeDelete(SlugRedirect, { fromSlug: slug });
      post.slug = slug;
    }
    post.title = draft.title;
    post.markdown = draft.markdown;
    post.applyRendered(draft.body, draft.summary);
    post.publishedAt = publicationDate(draft.status, draft.publishedAt, existing?.publishedAt ?? null, this.clock.now());
    post.status = draft.status;
    if (before && !sameCardInputs(before, post)) {
      // The card shows these: a stale one is never shown (social-cards.service.ts makes the next).
      post.cardId = null;
      post.cardSource = null;
    }
    if (draft.cardImageId !== undefined) post.cardImageId = draft.cardImageId;
    if (draft.createdAt) post.createdAt = draft.createdAt;
    post.tags.set(await this.tags.resolve(em, draft.tags));
    em.persist(post);
    if (draft.revisions) {
      for (const { title, markdown, createdAt } of draft.revisions) {
        em.persist(Object.assign(new Revision(post), { title, markdown, createdAt }));
      }
    } else {
      em.persist(new Revision(post));
    }
    await em.flush();
    if (movedFrom) await em.upsert(SlugRedirect, new SlugRedirect(movedFrom, post));
    const refusedRedirects = await this.redirectHere(em, post, draft.formerSlugs ?? [], claimed);
    await this.keepUpdatedAt(em, Post, post.id, draft.updatedAt);
    await this.search.index(em, post);
    return { post, refusedRedirects };
  }

  /** Writes a page (`existing`, or a new one) inside the caller's transaction. Pages keep no revisions and no old slugs. */
  async writePage(em: EntityManager, existing: Page | null, draft: PageDraft): Promise<Page> {
    const wanted = draft.slug ?? existing?.slug ?? slugify(draft.title);
    const slug =
      existing && wanted === existing.slug ? wanted : await uniqueSlug(wanted, (s) => this.pageSlugTaken(em, s, existing?.id));
    const page = existing ?? new Page(draft.title, slug, draft.markdown);
    page.slug = slug;
    page.title = draft.title;
    page.markdown = draft.markdown;
    page.html = draft.body.html;
    if (draft.summary !== undefined) page.summary = draft.summary;
    page.excerpt = readerExcerpt(page.summary, draft.body.excerpt);
    page.status = draft.status;
    page.navOrder = draft.navOrder;
    if (draft.createdAt) page.createdAt = draft.createdAt;
    em.persist(page);
    await em.flush();
    await this.keepUpdatedAt(em, Page, page.id, draft.updatedAt);
    return page;
  }

  /**
   * The post form's `cardImage`: the address of an uploaded image (`/media/12/name.png`, as the
   * media library shows it, absolute or not), or empty for the generated card.
   */
  private async cardImageId(value: string): Promise<number | null> {
    const text = value.trim();
    if (!text) return null;
    const id = mediaIdOf(text.replace(/^https?:\/\/[^/]+/, ''));
    const media = id === null ? null : await this.media.findById(id);
    if (!media || media.purpose !== null) {
      throw new ContentValidationError(
        'The social card image must be the address of an image from the media library (/media/…), or empty for the generated card.',
        'cardImage',
      );
    }
    return media.id;
  }

  private async redirectHere(em: EntityManager, post: Post, from: string[], claimed?: ReadonlySet<string>): Promise<string[]> {
    const have = new Set((await em.find(SlugRedirect, { post })).map((r) => r.fromSlug));
    const refused: string[] = [];
    for (const slug of new Set(from)) {
      if (slug === post.slug || have.has(slug)) continue;
      if (claimed?.has(slug) || (await em.count(Post, { slug }))) {
        refused.push(slug);
        continue;
      }
      await em.upsert(SlugRedirect, new SlugRedirect(slug, post));
    }
    return refused;
  }

  /**
   * Why native, after the flush: the ORM stamps updatedAt on every flush, and an imported file's
   * date must win. Only the row is changed: the caller must not flush this record again.
   */
  private async keepUpdatedAt(em: EntityManager, entity: typeof Post | typeof Page, id: number, updatedAt?: Date | null) {
    if (updatedAt) await em.nativeUpdate(entity, { id }, { updatedAt });
  }

  private async postSlugTaken(em: EntityManager, slug: string, exceptId?: number): Promise<boolean> {
    const found = await em.findOne(Post, { slug }, { fields: ['id'] });
    return found !== null && found.id !== exceptId;
  }

  private async pageSlugTaken(em: EntityManager, slug: string, exceptId?: number): Promise<boolean> {
    if (RESERVED_PAGE_SLUGS.has(slug)) return true;
    const found = await em.findOne(Page, { slug }, { fields: ['id'] });
    return found !== null && found.id !== exceptId;
  }
}
