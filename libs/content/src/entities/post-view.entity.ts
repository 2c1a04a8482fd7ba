import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';

import { Post } from './post.entity.js';

/** Views per post per UTC day: no cookies, no IPs, nothing personal. */
@Entity({ tableName: 'post_view' })
export class PostView {
  @ManyToOne(() => Post, { primary: true, deleteRule: 'cascade' })
  post!: Post;

  @PrimaryKey({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  count = 0;
}
