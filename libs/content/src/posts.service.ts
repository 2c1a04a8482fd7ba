import { EntityManager } from '@mikro-orm/better-sqlite';
import type { FilterQuery, Loaded, QueryOrderMap } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import type { ContentInput } from './content-input.js';
import { ContentSaver } from './content-saver.js';
import { GonePath, Post, SlugRedirect, WebmentionSent } from './entities/index.js';
import { ContentNotFoundError } from './errors.js';
import { SearchService } from './search.service.js';
import { SocialCardsService } from './social-cards.service.js';
import { oldPathKey } from './redirects.js';
import { isValidSlug } from './slug.js';
import { postUrl } from './urls.js';
import { isVisible, postsIn, type PublicationState, visiblePosts } from './visibility.js';

/** A post as lists show it: tags loaded, bodies left out. */
export type ListedPost = Loaded<Post, 'tags', '*', 'markdown' | 'html'>;

export interface PostPage {
  posts: ListedPost[];
  page: number;
  totalPages: number;
  total: number;
}

export interface Neighbours {
  previous: Pick<Post, 'slug' | 'title'> | null;
  next: Pick<Post, 'slug' | 'title'> | null;
}

/** Listing pages never need the bodies; leaving them out keeps list queries small. */
const LIST_EXCLUDE = ['markdown', 'html'] as const;

/** What a deleted post leaves to tell: its address (now 410 Gone) and whom it had mentioned. */
export interface DeletedPost {
  /** Site-relative, `/posts/:slug`. */
  path: string;
  /** The targets it had sent Webmentions to. */
  sentTo: string[];
}

@Injectable()
export class PostsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly saver: ContentSaver,
    private readonly search: SearchService,
    private readonly events: ContentEvents,
    private readonly cards: SocialCardsService,
  ) {}

  /** One page of visible posts, newest first; `tagSlug` narrows to one tag. */
  async listVisible(page: number, perPage: number, tagSlug?: string): Promise<PostPage> {
    const visible = visiblePosts(this.clock.now());
    const where: FilterQuery<Post> = tagSlug ? { $and: [visible, { tags: { $some: { slug: tagSlug } } }] } : visible;
    return this.pageOf(where, { publishedAt: 'desc', id: 'desc' }, page, perPage);
  }

  /** Visible posts with their bodies, newest first: for feeds. */
  latestVisible(limit: number): Promise<Post[]> {
    return this.em.find(Post, visiblePosts(this.clock.now()), {
      populate: ['tags'],
      orderBy: { publishedAt: 'desc', id: 'desc' },
      limit,
    });
  }

  /** Slug and dates of every visible post: for the sitemap. */
  allVisibleSlugs(): Promise<Pick<Post, 'slug' | 'updatedAt' | 'publishedAt'>[]> {
    return this.em.find(Post, visiblePosts(this.clock.now()), {
      fields: ['slug', 'updatedAt', 'publishedAt'],
      orderBy: { publishedAt: 'desc', id: 'desc' },
    });
  }

  async findVisibleBySlug(slug: string): Promise<Post | null> {
    // Why: a string that is no slug cannot match one, and a NUL in it would make SQLite's SQL text fail (500).
    if (!isValidSlug(slug)) return null;
    return this.em.findOne(Post, { $and: [visiblePosts(this.clock.now()), { slug }] }, { populate: ['tags'] });
  }

  async neighbours(post: Post): Promise<Neighbours> {
    const now = this.clock.now();
    const at = post.publishedAt ?? now;
    const find = (older: boolean) =>
      this.em.findOne(
        Post,
        {
          $and: [
            visiblePosts(now),
            {
              $or: [
                { publishedAt: older ? { $lt: at } : { $gt: at } },
                { publishedAt: at, id: older ? { $lt: post.id } : { $gt: post.id } },
              ],
            },
          ],
        },
        {
          fields: ['slug', 'title'],
          orderBy: older ? { publishedAt: 'desc', id: 'desc' } : { publishedAt: 'asc', id: 'asc' },
        },
      );
    const [previous, next] = await Promise.all([find(true), find(false)]);
    return { previous, next };
  }

  /** When the next scheduled post becomes visible, so caches can expire then. */
  async nextScheduledAt(): Promise<Date | null> {
    const post = await this.em.findOne(Post, postsIn('scheduled', this.clock.now()), {
      fields: ['publishedAt'],
      orderBy: { publishedAt: 'asc' },
    });
    return post?.publishedAt ?? null;
  }

  /**
   * Writes go through the one save of posts and pages (content-saver.ts), as the importer's do.
   * Then, while the author's request still holds the CPU, the post's own social card
   * (social-cards.service.ts; it cannot fail the save). Other posts' missing cards are the
   * dashboard's to catch up: a save does not pay for them.
   */
  async create(input: ContentInput): Promise<Post> {
    const post = await this.saver.savePost(null, input);
    await this.afterSave(post.id);
    return post;
  }

  async update(id: number, input: ContentInput): Promise<Post> {
    const post = await this.saver.savePost(id, input);
    await this.afterSave(id);
    return post;
  }

  private async afterSave(id: number): Promise<void> {
    await this.cards.refresh(id);
  }

  /**
   * Deletes a post. If readers could see it, or it sent Webmentions, its address (and its old
   * slugs') answers 410 Gone from then on (GonePath, same transaction); resolves to that address
   * and the targets it had sent Webmentions to (their records go with the post), so the caller
   * can tell them (the receivers verify the deletion by the 410).
   */
  async delete(id: number): Promise<DeletedPost> {
    const deleted = await this.em.transactional(async (em) => {
      const post = await em.findOne(Post, id);
      if (!post) throw new ContentNotFoundError(`Post ${id} does not exist.`);
      const sentTo = (await em.find(WebmentionSent, { post: id }, { fields: ['target'] })).map((s) => s.target);
      const path = postUrl(post.slug);
      if (isVisible(post, this.clock.now()) || sentTo.length > 0) {
        const old = await em.find(SlugRedirect, { post: id }, { fields: ['fromSlug'] });
        for (const gone of [post.slug, ...old.map((r) => r.fromSlug)]) {
          const key = oldPathKey(postUrl(gone));
          if (key) await em.upsert(GonePath, new GonePath(key));
        }
      }
      await this.search.unindex(em, id);
      em.remove(post);
      return { path, sentTo };
    });
    this.events.changed('post');
    return deleted;
  }

  /** The current slug of a visible post that used to live at `slug`, for a 301. */
  async redirectFor(slug: string): Promise<string | null> {
    if (!isValidSlug(slug)) return null;
    const redirect = await this.em.findOne(SlugRedirect, { fromSlug: slug }, { populate: ['post'] });
    return redirect && isVisible(redirect.post, this.clock.now()) ? redirect.post.slug : null;
  }

  /** Any post by id, whatever its status: for the admin. */
  findById(id: number): Promise<Post | null> {
    return this.em.findOne(Post, id, { populate: ['tags'] });
  }

  /** The admin's list: every status, newest edit first, optionally filtered. */
  async listForAdmin(filter: { status?: PublicationState; title?: string }, page: number, perPage = 50): Promise<PostPage> {
    const now = this.clock.now();
    const where: FilterQuery<Post>[] = [];
    if (filter.status) where.push(postsIn(filter.status, now));
    // LIKE wildcards typed by the author are dropped rather than escaped (SQLite needs ESCAPE for that).
    const title = filter.title?.replace(/[%_]/g, '').trim();
    if (title) where.push({ title: { $like: `%${title}%` } });
    return this.pageOf(where.length ? { $and: where } : {}, { updatedAt: 'desc', id: 'desc' }, page, perPage);
  }

  private async pageOf(where: FilterQuery<Post>, orderBy: QueryOrderMap<Post>, page: number, perPage: number): Promise<PostPage> {
    const [posts, total] = await this.em.findAndCount(Post, where, {
      populate: ['tags'],
      exclude: LIST_EXCLUDE,
      orderBy,
      limit: perPage,
      offset: (page - 1) * perPage,
    });
    return { posts, page, total, totalPages: Math.max(1, Math.ceil(total / perPage)) };
  }

  /** Counts for the dashboard. */
  async statusCounts(): Promise<{ drafts: number; published: number; scheduled: number }> {
    const now = this.clock.now();
    const [drafts, published, scheduled] = await Promise.all([
      this.em.count(Post, postsIn('draft', now)),
      this.em.count(Post, postsIn('published', now)),
      this.em.count(Post, postsIn('scheduled', now)),
    ]);
    return { drafts, published, scheduled };
  }

  count(where: FilterQuery<Post> = {}): Promise<number> {
    return this.em.count(Post, where);
  }
}
