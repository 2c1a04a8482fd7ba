import type { FilterQuery } from '@mikro-orm/core';

import type { Page, Post } from './entities/index.js';

/** The single rule for what a reader may see: published, and its time has come. */
export function visiblePosts(now: Date): FilterQuery<Post> {
  return { status: 'published', publishedAt: { $lte: now } };
}

export const visiblePages = { status: 'published' } as const satisfies FilterQuery<Page>;
