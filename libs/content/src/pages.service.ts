import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import { Page } from './entities/index.js';
import { ContentNotFoundError } from './errors.js';
import { renderMarkdown } from './lazy-renderer.js';
import { MediaService } from './media.service.js';
import { type ContentInput, validateInput } from './content-input.js';
import { pageUrl } from './urls.js';
import { isValidSlug, slugify, uniqueSlug } from './slug.js';
import { visiblePages } from './visibility.js';

/**
 * Pages live at /:slug, so they must not take a path the site itself answers. Exported so the
 * app can check its own routes against it.
 */
export const RESERVED_PAGE_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'posts',
  'tags',
  'search',
  'media',
  'static',
  'healthz',
  'feed',
  'api',
  'login',
  'logout',
]);

export interface NavItem {
  label: string;
  url: string;
}

@Injectable()
export class PagesService {
  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
    private readonly media: MediaService,
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

  async create(input: ContentInput): Promise<Page> {
    const valid = validateInput(input);
    const rendered = await renderMarkdown(valid.markdown, await this.media.imagesIn(valid.markdown));
    const page = await this.em.transactional(async (em) => {
      const slug = await uniqueSlug(valid.slug ?? slugify(valid.title), (s) => this.slugTaken(em, s));
      const page = new Page(valid.title, slug, valid.markdown);
      page.html = rendered.html;
      page.excerpt = rendered.excerpt;
      page.status = valid.status;
      page.navOrder = valid.navOrder;
      em.persist(page);
      return page;
    });
    this.events.changed('page');
    return page;
  }

  async update(id: number, input: ContentInput): Promise<Page> {
    const valid = validateInput(input);
    const rendered = await renderMarkdown(valid.markdown, await this.media.imagesIn(valid.markdown));
    const page = await this.em.transactional(async (em) => {
      const page = await em.findOne(Page, id);
      if (!page) throw new ContentNotFoundError(`Page ${id} does not exist.`);
      const wanted = valid.slug ?? page.slug;
      if (wanted !== page.slug) page.slug = await uniqueSlug(wanted, (s) => this.slugTaken(em, s, id));
      page.title = valid.title;
      page.markdown = valid.markdown;
      page.html = rendered.html;
      page.excerpt = rendered.excerpt;
      page.status = valid.status;
      page.navOrder = valid.navOrder;
      return page;
    });
    this.events.changed('page');
    return page;
  }

  async delete(id: number): Promise<void> {
    await this.em.transactional(async (em) => {
      const page = await em.findOne(Page, id);
      if (!page) throw new ContentNotFoundError(`Page ${id} does not exist.`);
      em.remove(page);
    });
    this.events.changed('page');
  }

  private async slugTaken(em: EntityManager, slug: string, exceptId?: number): Promise<boolean> {
    if (RESERVED_PAGE_SLUGS.has(slug)) return true;
    const found = await em.findOne(Page, { slug }, { fields: ['id'] });
    return found !== null && found.id !== exceptId;
  }
}
