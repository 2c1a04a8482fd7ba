import { Controller, Get, Query, Render } from '@nestjs/common';

import { MAX_QUERY_LENGTH, postUrl, SearchService } from '@app/content';

import { assertPageExists, parsePage } from '../common/page-param.js';
import { SiteContextService } from '../views/site-context.service.js';
import { pageMeta, pagination } from './view-models.js';

const PER_PAGE = 20;

@Controller('search')
export class SearchController {
  constructor(
    private readonly search: SearchService,
    private readonly site: SiteContextService,
  ) {}

  @Get()
  @Render('site/search')
  async results(@Query('q') q: unknown, @Query('page') pageParam: unknown) {
    const page = parsePage(pageParam);
    // Repeated ?q=a&q=b arrives as an array; a reader meant one query.
    const query = (Array.isArray(q) ? q.join(' ') : typeof q === 'string' ? q : '').slice(0, MAX_QUERY_LENGTH);
    const site = await this.site.get();
    const result = await this.search.search(query, PER_PAGE, (page - 1) * PER_PAGE);
    const totalPages = Math.max(1, Math.ceil(result.total / PER_PAGE));
    assertPageExists(page, totalPages);
    return {
      meta: { ...pageMeta(site, '/search', { title: result.query ? `Search: ${result.query}` : 'Search' }), noindex: true },
      query: result.query,
      total: result.total,
      searched: result.query.length > 0,
      maxLength: MAX_QUERY_LENGTH,
      hits: result.hits.map((h) => ({ ...h, url: postUrl(h.slug) })),
      pagination: pagination('/search', page, totalPages, { q: result.query }),
    };
  }
}
