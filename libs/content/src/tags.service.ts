import { EntityManager } from '@mikro-orm/better-sqlite';
import type { FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import { Post, Tag } from './entities/index.js';
import { ContentNotFoundError, ContentValidationError } from './errors.js';
import { LIMITS } from './content-input.js';
import { SearchService } from './search.service.js';
import { isValidSlug, slugify } from './slug.js';
import { cleanText } from './text.js';
import { visiblePostsSql } from './visibility.js';

export interface TagSummary {
  slug: string;
  name: string;
  count: number;
}

@Injectable()
export class TagsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly events: ContentEvents,
    private readonly search: SearchService,
  ) {}

  /** Every tag with its number of posts of any status: for the admin. */
  allWithCounts(): Promise<(TagSummary & { id: number })[]> {
    return this.em.getConnection().execute(
      `SELECT t.id, t.slug, t.name, count(pt.post_id) AS count
         FROM tag t LEFT JOIN post_tags pt ON pt.tag_id = t.id
        GROUP BY t.id ORDER BY t.name COLLATE NOCASE`,
    );
  }

  /** Renames a tag; a name whose slug another tag has already is a merge into that tag. */
  async rename(id: number, name: string): Promise<Tag> {
    const clean = cleanText(name).trim().replace(/\s+/g, ' ');
    const slug = slugify(clean);
    if (!slug || clean.length > LIMITS.tagName)
      throw new ContentValidationError('A tag name needs letters or digits (at most 60 characters).', 'name');
    const tag = await this.em.findOne(Tag, id);
    if (!tag) throw new ContentNotFoundError(`Tag ${id} does not exist.`);
    const other = await this.em.findOne(Tag, { slug, id: { $ne: id } });
    if (other) {
      await this.merge(id, other.id);
      return other;
    }
    tag.name = clean;
    tag.slug = slug;
    await this.em.transactional(async (em) => {
      await em.flush();
      await this.reindex(em, { tags: id });
    });
    this.events.changed('tag');
    return tag;
  }

  /** Moves every post of `fromId` to `intoId` and deletes `fromId`. */
  async merge(fromId: number, intoId: number): Promise<void> {
    if (fromId === intoId) throw new ContentValidationError('Choose another tag to merge into.', 'into');
    await this.em.transactional(async (em) => {
      const [from, into] = await Promise.all([em.findOne(Tag, fromId), em.findOne(Tag, intoId)]);
      if (!from || !into) throw new ContentNotFoundError('Both tags must exist to merge them.');
      const posts = await em.find(Post, { tags: from }, { populate: ['tags'] });
      for (const post of posts) {
        post.tags.remove(from);
        if (!post.tags.contains(into)) post.tags.add(into);
      }
      await em.flush();
      em.remove(from);
      await em.flush();
      for (const post of posts) await this.search.index(em, post);
    });
    this.events.changed('tag');
  }

  /** Deletes a tag; its posts stay, untagged from it. */
  async delete(id: number): Promise<void> {
    await this.em.transactional(async (em) => {
      const postIds = (await em.find(Post, { tags: id }, { fields: ['id'] })).map((p) => p.id);
      const removed = await em.nativeDelete(Tag, { id });
      if (!removed) throw new ContentNotFoundError(`Tag ${id} does not exist.`);
      await this.reindex(em, { id: { $in: postIds } });
    });
    this.events.changed('tag');
  }

  /** The search index keeps tag names beside each post: refresh the posts a tag change touched. */
  private async reindex(em: EntityManager, where: FilterQuery<Post>): Promise<void> {
    const posts = await em.find(Post, where, { populate: ['tags'], refresh: true });
    for (const post of posts) await this.search.index(em, post);
  }

  async findBySlug(slug: string): Promise<Tag | null> {
    // Why: a string that is no slug cannot match one, and a NUL in it would make SQLite's SQL text fail (500).
    if (!isValidSlug(slug)) return null;
    return this.em.findOne(Tag, { slug });
  }

  /** Tags that have at least one visible post, with how many. */
  async visibleWithCounts(): Promise<TagSummary[]> {
    const visible = visiblePostsSql('p', this.clock.now());
    const rows = await this.em.getConnection().execute<TagSummary[]>(
      `SELECT t.slug, t.name, count(*) AS count
         FROM tag t JOIN post_tags pt ON pt.tag_id = t.id JOIN post p ON p.id = pt.post_id
        WHERE ${visible.sql}
        GROUP BY t.id ORDER BY count DESC, t.name`,
      visible.params,
    );
    return rows;
  }

  /** Finds tags by name, creating the missing ones; names that slug alike are one tag. */
  async resolve(em: EntityManager, names: string[]): Promise<Tag[]> {
    const bySlug = new Map<string, string>();
    for (const name of names) if (!bySlug.has(slugify(name))) bySlug.set(slugify(name), name); // first spelling wins
    const existing = await em.find(Tag, { slug: { $in: [...bySlug.keys()] } });
    const found = new Map(existing.map((t) => [t.slug, t]));
    return [...bySlug].map(([slug, name]) => {
      let tag = found.get(slug);
      if (!tag) {
        tag = new Tag(name, slug);
        em.persist(tag);
        found.set(slug, tag);
      }
      return tag;
    });
  }
}
