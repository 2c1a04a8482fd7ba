import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { Clock } from './clock.js';
import { Tag } from './entities/index.js';
import { slugify } from './slug.js';

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
  ) {}

  findBySlug(slug: string): Promise<Tag | null> {
    return this.em.findOne(Tag, { slug });
  }

  /** Tags that have at least one visible post, with how many. */
  async visibleWithCounts(): Promise<TagSummary[]> {
    const rows = await this.em.getConnection().execute<TagSummary[]>(
      `SELECT t.slug, t.name, count(*) AS count
         FROM tag t JOIN post_tags pt ON pt.tag_id = t.id JOIN post p ON p.id = pt.post_id
        WHERE p.status = 'published' AND p.published_at <= ?
        GROUP BY t.id ORDER BY count DESC, t.name`,
      [this.clock.now().getTime()],
    );
    return rows;
  }

  /** Finds tags by name, creating the missing ones; names that slug alike are one tag. */
  async resolve(em: EntityManager, names: string[]): Promise<Tag[]> {
    const bySlug = new Map(names.map((name) => [slugify(name), name] as const));
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
