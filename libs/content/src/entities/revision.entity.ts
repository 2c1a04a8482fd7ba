import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';

import { Post } from './post.entity.js';

/** A snapshot of a post's title and text, written by every save. */
@Entity()
@Index({ properties: ['post', 'createdAt'] })
export class Revision {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Post, { deleteRule: 'cascade' })
  post: Post;

  @Property({ type: 'string', length: 300 })
  title: string;

  @Property({ type: 'text' })
  markdown: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(post: Post) {
    this.post = post;
    this.title = post.title;
    this.markdown = post.markdown;
  }
}
