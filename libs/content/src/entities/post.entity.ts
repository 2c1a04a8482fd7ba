import { Collection, Entity, Index, ManyToMany, PrimaryKey, Property, Unique } from '@mikro-orm/core';

import { Tag } from './tag.entity.js';

export type PostStatus = 'draft' | 'published';
export const POST_STATUSES: readonly PostStatus[] = ['draft', 'published'];

/** What the markdown renderer derives from the source; stored so readers never pay for it. */
export interface RenderedBody {
  html: string;
  excerpt: string;
  wordCount: number;
  readingMinutes: number;
}

@Entity()
// Why: every reader query filters on status and orders by publishedAt.
@Index({ properties: ['status', 'publishedAt'] })
export class Post {
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

  /** What readers see as the summary: the author's `summary` when set, else derived from the body. */
  @Property({ type: 'text' })
  excerpt = '';

  /** The author's own summary, plain text ('' = none): lists, feeds and meta show it instead of the opening. */
  @Property({ type: 'text', default: '' })
  summary = '';

  @Property({ type: 'integer' })
  wordCount = 0;

  @Property({ type: 'integer' })
  readingMinutes = 1;

  @Property({ type: 'string', length: 16 })
  status: PostStatus = 'draft';

  @Property({ type: 'datetime', nullable: true })
  publishedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  /**
   * The generated social card: a Media row (`purpose` 'social-card'). Null until it is made, and
   * again when what it shows changes (title, date, feature image; content-saver.ts), so that a
   * stale card is never shown. Derived data: any run of social-cards.service.ts can make it again.
   */
  @Property({ type: 'integer', nullable: true })
  cardId: number | null = null;

  /** What the card was made from: `<site key>:<post key>` (social-card/card-source.ts). */
  @Property({ type: 'string', length: 80, nullable: true })
  cardSource: string | null = null;

  /** The author's replacement for the generated card: an uploaded image's id; null: the generated one. */
  @Property({ type: 'integer', nullable: true })
  cardImageId: number | null = null;

  /**
   * When this post's Webmentions were last sent in a round that reached every target (or it was
   * settled without sending: an imported post already live, a post live before this column). A
   * visible post whose `publishedAt` is later (or that has none) has news to send: it went live by
   * its schedule after its last save (webmentions.service.ts `nextDue`).
   */
  @Property({ type: 'datetime', nullable: true })
  mentionsSentAt: Date | null = null;

  @ManyToMany(() => Tag, undefined, { owner: true, pivotTable: 'post_tags' })
  tags = new Collection<Tag>(this);

  constructor(title: string, slug: string, markdown: string) {
    this.title = title;
    this.slug = slug;
    this.markdown = markdown;
  }

  /** The body as rendered, and `summary` (undefined: keep the one it has). */
  applyRendered(body: RenderedBody, summary?: string): void {
    if (summary !== undefined) this.summary = summary;
    this.html = body.html;
    this.excerpt = readerExcerpt(this.summary, body.excerpt);
    this.wordCount = body.wordCount;
    this.readingMinutes = body.readingMinutes;
  }
}

/** The one rule: an author's summary wins over the excerpt derived from the body. */
export function readerExcerpt(summary: string, derived: string): string {
  return summary || derived;
}
