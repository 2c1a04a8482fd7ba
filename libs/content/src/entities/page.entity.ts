import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

import type { PostStatus } from './post.entity.js';

@Entity()
export class Page {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 200 })
  @Unique()
  slug: string;

  @Property({ type: 'string', length: 300 })
  title: string;

  @Property({ type: 'text' })
  markdown: string;

  @Property({ type: 'text' })
  html = '';

  /** What readers see as the summary (`<meta name=description>`): `summary` when set, else derived. */
  @Property({ type: 'text' })
  excerpt = '';

  /** The author's own summary, plain text ('' = none); see Post.summary. */
  @Property({ type: 'text', default: '' })
  summary = '';

  @Property({ type: 'string', length: 16 })
  status: PostStatus = 'draft';

  /** Position in the site menu; null keeps the page out of the menu. */
  @Property({ type: 'integer', nullable: true })
  navOrder: number | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(title: string, slug: string, markdown: string) {
    this.title = title;
    this.slug = slug;
    this.markdown = markdown;
  }
}
