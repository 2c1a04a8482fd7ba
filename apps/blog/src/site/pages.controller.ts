import { Controller, Get, NotFoundException, Param, Render } from '@nestjs/common';

import { PagesService, pageUrl } from '@app/content';

import { SiteContextService } from '../views/site-context.service.js';
import { pageMeta } from './view-models.js';

/** Pages at /:slug. Registered last, so every other route wins. */
@Controller()
export class PagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly site: SiteContextService,
  ) {}

  @Get(':slug')
  @Render('site/page')
  async show(@Param('slug') slug: string) {
    const page = await this.pages.findVisibleBySlug(slug);
    if (!page) throw new NotFoundException();
    const site = await this.site.get();
    return {
      meta: pageMeta(site, pageUrl(page.slug), { title: page.title, description: page.excerpt }),
      page: { title: page.title, html: page.html, updatedAt: page.updatedAt },
    };
  }
}
