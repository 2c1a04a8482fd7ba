import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';

import { Post } from './post.entity.js';

export const WEBMENTION_KINDS = ['like', 'reply', 'repost', 'mention'] as const;
export type WebmentionKind = (typeof WEBMENTION_KINDS)[number];

/**
 * A verified Webmention received for one of the blog's posts: `source` links to the post.
 * Held (`approved` false) until the author approves it in the admin. One row per (source, target):
 * a re-sent Webmention updates it, a source that stopped linking deletes it (the spec's rules).
 * Everything shown comes from the source's microformats, stored as plain text.
 */
@Entity()
@Unique({ properties: ['source', 'target'] })
@Index({ properties: ['post', 'approved'] })
export class Webmention {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Post, { deleteRule: 'cascade' })
  post: Post;

  @Property({ type: 'string', length: 2048 })
  source: string;

  /** The target URL as the sender gave it (normalised: no fragment). */
  @Property({ type: 'string', length: 2048 })
  target: string;

  @Property({ type: 'string', length: 10 })
  kind: WebmentionKind = 'mention';

  @Property({ type: 'boolean' })
  approved = false;

  @Property({ type: 'string', length: 200, nullable: true })
  authorName: string | null = null;

  /** http(s) only, or null. */
  @Property({ type: 'string', length: 2048, nullable: true })
  authorUrl: string | null = null;

  /** Stored, never shown: showing it would make readers' browsers fetch a stranger's image. */
  @Property({ type: 'string', length: 2048, nullable: true })
  authorPhoto: string | null = null;

  /** Plain text excerpt (escaped when shown). */
  @Property({ type: 'text', nullable: true })
  content: string | null = null;

  @Property({ type: 'datetime' })
  receivedAt: Date = new Date();

  @Property({ type: 'datetime' })
  verifiedAt: Date = new Date();

  constructor(post: Post, source: string, target: string) {
    this.post = post;
    this.source = source;
    this.target = target;
  }
}

/**
 * A Webmention this blog sent: one row per (post, target), with the fingerprint of the post's
 * HTML it was sent for, so saving an unchanged post sends nothing again.
 */
@Entity({ tableName: 'webmention_sent' })
@Unique({ properties: ['post', 'target'] })
export class WebmentionSent {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Post, { deleteRule: 'cascade' })
  post: Post;

  @Property({ type: 'string', length: 2048 })
  target: string;

  /** sha256 of the post's HTML when it was sent. */
  @Property({ type: 'string', length: 64 })
  contentHash: string;

  /** The endpoint found, or null when the target advertises none. */
  @Property({ type: 'string', length: 2048, nullable: true })
  endpoint: string | null = null;

  /** What happened: an HTTP status, "no endpoint", or the error. */
  @Property({ type: 'string', length: 200 })
  outcome: string;

  @Property({ type: 'datetime' })
  sentAt: Date = new Date();

  constructor(post: Post, target: string, contentHash: string, outcome: string) {
    this.post = post;
    this.target = target;
    this.contentHash = contentHash;
    this.outcome = outcome;
  }
}
