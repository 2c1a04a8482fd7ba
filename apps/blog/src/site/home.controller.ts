import { Controller, Get, Query, Render } from '@nestjs/common';

import { PostsService } from '@app/content';

import { assertPageExists, parsePage } from '../common/page-param.js';
import { SiteContextService } from '../views/site-context.service.js';
import { pageMeta, pagination, postCard } from './view-models.js';

@Controller()
export class HomeController {
  constructor(
    private readonly posts: PostsService,
    private readonly site: SiteContextService,
  ) {}

  @Get()
  @Render('site/home')
  async home(@Query('page') pageParam: unknown) {
    const page = parsePage(pageParam);
    const site = await this.site.get();
    const result = await this.posts.listVisible(page, site.postsPerPage);
    assertPageExists(page, result.totalPages);
    return {
      meta: pageMeta(site, page > 1 ? `/?page=${page}` : '/', page > 1 ? { title: `Page ${page}` } : {}),
      posts: result.posts.map(postCard),
      pagination: pagination('/', page, result.totalPages),
      isFirstPage: page === 1,
    };
  }
}
