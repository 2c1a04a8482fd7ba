import { Controller, Get, Header, Render } from '@nestjs/common';

import { PagesService, pageUrl, PostsService, postUrl, TagsService, tagUrl } from '@app/content';

import { SiteContextService } from '../views/site-context.service.js';

@Controller()
export class SeoController {
  constructor(
    private readonly posts: PostsService,
    private readonly pages: PagesService,
    private readonly tags: TagsService,
    private readonly site: SiteContextService,
  ) {}

  @Get('sitemap.xml')
  @Header('Content-Type', 'application/xml; charset=utf-8')
  @Render('site/sitemap.xml.hbs')
  async sitemap() {
    const [site, posts, pages, tags] = await Promise.all([
      this.site.get(),
      this.posts.allVisibleSlugs(),
      this.pages.allVisibleSlugs(),
      this.tags.visibleWithCounts(),
    ]);
    const urls = [
      { loc: `${site.url}/`, lastmod: posts[0]?.updatedAt },
      ...posts.map((p) => ({ loc: `${site.url}${postUrl(p.slug)}`, lastmod: p.updatedAt })),
      ...pages.map((p) => ({ loc: `${site.url}${pageUrl(p.slug)}`, lastmod: p.updatedAt })),
      ...tags.map((t) => ({ loc: `${site.url}${tagUrl(t.slug)}` })),
    ];
    return { layout: false, urls };
  }

  @Get('robots.txt')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async robots(): Promise<string> {
    const site = await this.site.get();
    return ['User-agent: *', 'Disallow: /admin', 'Disallow: /search', '', `Sitemap: ${site.url}/sitemap.xml`, ''].join('\n');
  }
}
