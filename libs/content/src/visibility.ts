import type { FilterQuery } from '@mikro-orm/core';

import type { Page, Post } from './entities/index.js';

/**
 * The one home of the publication rule: a reader sees a post once it is published and its time
 * has come ("published and due"); a published post whose time has not come is scheduled (no cron
 * flips it). Every form of the rule lives here: for one post, as an ORM filter, and as SQL for
 * the raw queries of search and tags. Pages have no date: published is visible.
 */
export type PublicationState = 'draft' | 'scheduled' | 'published';

type Dated = Pick<Post, 'status' | 'publishedAt'>;

export function publicationState(post: Dated, now: Date): PublicationState {
  if (post.status !== 'published') return 'draft';
  return post.publishedAt !== null && post.publishedAt <= now ? 'published' : 'scheduled';
}

/**
 * The date a save gives a post: the one asked for; else, publishing, the date it had or now; a
 * draft keeps whatever date it had, for later.
 */
export function publicationDate(status: string, requested: Date | null, current: Date | null, now: Date): Date | null {
  if (requested) return requested;
  if (status === 'published') return current ?? now;
  return current;
}

export const isVisible = (post: Dated, now: Date): boolean => publicationState(post, now) === 'published';

/** The posts in one state, as an ORM filter. */
export function postsIn(state: PublicationState, now: Date): FilterQuery<Post> {
  if (state === 'draft') return { status: 'draft' };
  return { status: 'published', publishedAt: state === 'published' ? { $lte: now } : { $gt: now } };
}

export const visiblePosts = (now: Date): FilterQuery<Post> => postsIn('published', now);

/**
 * Published with a date, whether it has come or not (visible or scheduled): what is prepared for
 * readers ahead of its time, as the social card a scheduled post will be shared with.
 */
export const isPublishedAnyDate = <T extends Dated>(post: T): post is T & { publishedAt: Date } =>
  post.status === 'published' && post.publishedAt !== null;

/** isPublishedAnyDate as an ORM filter. */
export const postsPublishedAnyDate = { status: 'published', publishedAt: { $ne: null } } as const satisfies FilterQuery<Post>;

/**
 * The same rule as SQL over the `post` table aliased `alias`, with its parameter (dates are
 * stored as epoch milliseconds).
 */
export function visiblePostsSql(alias: string, now: Date): { sql: string; params: [number] } {
  return { sql: `${alias}.status = 'published' AND ${alias}.published_at <= ?`, params: [now.getTime()] };
}

/** postsPublishedAnyDate in SQL, for queries the ORM cannot write (post table under `alias`). */
export const postsPublishedAnyDateSql = (alias: string): string =>
  `${alias}.status = 'published' AND ${alias}.published_at IS NOT NULL`;

export const visiblePages = { status: 'published' } as const satisfies FilterQuery<Page>;
