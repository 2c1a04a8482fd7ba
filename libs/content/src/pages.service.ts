import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import type { ContentInput } from './content-input.js';
import { ContentSaver } from './content-saver.js';
import { Page } from './entities/index.js';
import { ContentNotFoundError } from './errors.js';
import { pageUrl } from './urls.js';
import { isValidSlug } from './slug.js';
import { visiblePages } from './visibility.js';

export interface NavItem {
  label: string;
  url: string;
}

@Injectable()
export class PagesService {
  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
    private readonly saver: ContentSaver,
  ) {}

  async findVisibleBySlug(slug: string): Promise<Page | null> {
    // Why: a string that is no slug cannot match one, and a NUL in it would make SQLite's SQL text fail (500).
    if (!isValidSlug(slug)) return null;
    return this.em.findOne(Page, { ...visiblePages, slug });
  }

  allVisibleSlugs(): Promise<Pick<Page, 'slug' | 'updatedAt'>[]> {
    return this.em.find(Page, visiblePages, { fields: ['slug', 'updatedAt'], orderBy: { slug: 'asc' } });
  }

  /** Published pages that asked for a place in the menu, in that order. */
  async menu(): Promise<NavItem[]> {
    const pages = await this.em.find(
      Page,
      { ...visiblePages, navOrder: { $ne: null } },
      { fields: ['slug', 'title', 'navOrder'], orderBy: { navOrder: 'asc', title: 'asc' } },
    );
    return pages.map((p) => ({ label: p.title, url: pageUrl(p.slug) }));
  }

  findById(id: number): Promise<Page | null> {
    return this.em.findOne(Page, id);
  }

  listForAdmin(): Promise<Page[]> {
    return this.em.find(Page, {}, { orderBy: { navOrder: 'asc', title: 'asc' } });
  }

  /** Writes go through the one save of posts and pages (content-saver.ts), as the importer's do. */
  create(input: ContentInput): Promise<Page> {
    return this.saver.savePage(null, input);
  }

  update(id: number, input: ContentInput): Promise<Page> {
    return this.saver.savePage(id, input);
  }

  async delete(id: number): Promise<void> {
    await this.em.transactional(async (em) => {
      const page = await em.findOne(Page, id);
      if (!page) throw new ContentNotFoundError(`Page ${id} does not exist.`);
      em.remove(page);
    });
    this.events.changed('page');
  }
}
