import { Entity, ManyToOne, PrimaryKey } from '@mikro-orm/core';

import { Post } from './post.entity.js';

/** An old slug of a post, kept so links to it answer with a 301 to the current one. */
@Entity()
export class SlugRedirect {
  @PrimaryKey({ type: 'string', length: 200 })
  fromSlug: string;

  @ManyToOne(() => Post, { deleteRule: 'cascade' })
  post: Post;

  constructor(fromSlug: string, post: Post) {
    this.fromSlug = fromSlug;
    this.post = post;
  }
}
