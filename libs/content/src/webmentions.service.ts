import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import { Post, Webmention, WEBMENTION_KINDS, type WebmentionKind, WebmentionSent } from './entities/index.js';
import { visiblePostsSql } from './visibility.js';

/** What a verified source says about the target (from its microformats), as plain text. */
export interface MentionFacts {
  kind: WebmentionKind;
  authorName: string | null;
  authorUrl: string | null;
  authorPhoto: string | null;
  content: string | null;
}

/** Approved mentions of one post, as the post page shows them. */
export interface ShownMentions {
  total: number;
  counts: { kind: WebmentionKind; count: number }[];
  items: { kind: WebmentionKind; source: string; authorName: string | null; authorUrl: string | null; content: string | null }[];
}

export interface AdminMention {
  id: number;
  approved: boolean;
  kind: WebmentionKind;
  source: string;
  target: string;
  postTitle: string;
  postSlug: string;
  authorName: string | null;
  content: string | null;
  receivedAt: Date;
}

/** Shown under a post at most (newest first); the counts cover them all. */
const SHOWN_MAX = 200;

/**
 * The stored side of Webmention (the network side lives in the app): received mentions, held
 * until the author approves them, and the record of what this blog sent. Approving, removing or
 * changing an approved mention emits a content change, so cached post pages are rendered again
 * (the post page reads approved mentions on render, never per cached view).
 */
@Injectable()
export class WebmentionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
  ) {}

  /** Stores a verified mention, or updates the one from the same source to the same target. */
  async record(post: Post, source: string, target: string, facts: MentionFacts): Promise<'created' | 'updated'> {
    const em = this.em.fork();
    let row = await em.findOne(Webmention, { source, target });
    const created = !row;
    if (!row) {
      row = new Webmention(em.getReference(Post, post.id), source, target);
      em.persist(row);
    }
    const changed =
      row.kind !== facts.kind ||
      row.content !== facts.content ||
      row.authorName !== facts.authorName ||
      row.authorUrl !== facts.authorUrl;
    // Why: approval is of what the author read; a source that changed what it says asks again.
    const wasShown = row.approved;
    if (changed) row.approved = false;
    Object.assign(row, facts, { verifiedAt: new Date() });
    await em.flush();
    if (wasShown && changed) this.events.changed('webmention');
    return created ? 'created' : 'updated';
  }

  /** The source no longer links to the target (or is gone): the mention goes (the spec's deletion). */
  async removeSource(source: string, target: string): Promise<boolean> {
    const em = this.em.fork();
    const row = await em.findOne(Webmention, { source, target });
    if (!row) return false;
    await em.remove(row).flush();
    if (row.approved) this.events.changed('webmention');
    return true;
  }

  async approve(id: number): Promise<boolean> {
    const done = (await this.em.fork().nativeUpdate(Webmention, { id, approved: false }, { approved: true })) > 0;
    if (done) this.events.changed('webmention');
    return done;
  }

  async delete(id: number): Promise<boolean> {
    const em = this.em.fork();
    const row = await em.findOne(Webmention, { id });
    if (!row) return false;
    await em.remove(row).flush();
    if (row.approved) this.events.changed('webmention');
    return true;
  }

  /** Held ones first, then the rest, newest first. */
  async listForAdmin(limit = 500): Promise<AdminMention[]> {
    const rows = await this.em
      .fork()
      .find(
        Webmention,
        {},
        { populate: ['post'], orderBy: [{ approved: 'asc' }, { receivedAt: 'desc' }, { id: 'desc' }], limit },
      );
    return rows.map((r) => ({
      id: r.id,
      approved: r.approved,
      kind: r.kind,
      source: r.source,
      target: r.target,
      postTitle: r.post.title,
      postSlug: r.post.slug,
      authorName: r.authorName,
      content: r.content,
      receivedAt: r.receivedAt,
    }));
  }

  async pendingCount(): Promise<number> {
    return this.em.fork().count(Webmention, { approved: false });
  }

  /** Approved mentions of a post: one query, on a page render (cached pages never ask). */
  async shownFor(postId: number): Promise<ShownMentions> {
    const rows = await this.em
      .fork()
      .find(Webmention, { post: postId, approved: true }, { orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });
    const counts = WEBMENTION_KINDS.map((kind) => ({ kind, count: rows.filter((r) => r.kind === kind).length })).filter(
      (c) => c.count > 0,
    );
    return {
      total: rows.length,
      counts,
      items: rows.slice(-SHOWN_MAX).map((r) => ({
        kind: r.kind,
        source: r.source,
        authorName: r.authorName,
        authorUrl: r.authorUrl,
        content: r.content,
      })),
    };
  }

  /** What was sent for a post, by target. */
  async sentFor(postId: number): Promise<Map<string, WebmentionSent>> {
    const rows = await this.em.fork().find(WebmentionSent, { post: postId });
    return new Map(rows.map((r) => [r.target, r]));
  }

  async recordSent(postId: number, target: string, contentHash: string, endpoint: string | null, outcome: string): Promise<void> {
    const em = this.em.fork();
    let row = await em.findOne(WebmentionSent, { post: postId, target });
    if (!row) {
      row = new WebmentionSent(em.getReference(Post, postId), target, contentHash, outcome);
      em.persist(row);
    }
    Object.assign(row, { contentHash, endpoint, outcome: outcome.slice(0, 200), sentAt: new Date() });
    await em.flush();
  }

  /**
   * The next visible post with Webmentions due, other than `skip`: one that went live (by its
   * schedule) after its last complete round of sending, or never had one. Oldest first.
   */
  async nextDue(now: Date, skip: number[] = []): Promise<Post | null> {
    const visible = visiblePostsSql('p', now);
    const rows = await this.em.fork().execute<{ id: number }[]>(
      `select p.id from post p
        where ${visible.sql} and (p.mentions_sent_at is null or p.mentions_sent_at < p.published_at)
          ${skip.length > 0 ? `and p.id not in (${skip.map(() => '?').join(', ')})` : ''}
        order by p.published_at asc, p.id asc limit 1`,
      [...visible.params, ...skip],
    );
    return rows.length > 0 ? this.em.fork().findOne(Post, rows[0].id) : null;
  }

  /** A round of sending for this post reached every target (or there were none). */
  async markSent(postId: number, at: Date): Promise<void> {
    await this.em.fork().nativeUpdate(Post, { id: postId }, { mentionsSentAt: at });
  }

  async forgetSent(postId: number, target: string): Promise<void> {
    await this.em.fork().nativeDelete(WebmentionSent, { post: postId, target });
  }
}
