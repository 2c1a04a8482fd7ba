import { Controller, Get, Query, Render, Req } from '@nestjs/common';
import type { Request } from 'express';

import { PostsService, RedirectsService } from '@app/content';

import { assertPageExists, parsePage } from '../common/page-param.js';
import { RedirectException } from '../common/redirect.exception.js';
import { SiteContextService } from '../views/site-context.service.js';
import { pageMeta, pagination, postCard } from './view-models.js';

@Controller()
export class HomeController {
  constructor(
    private readonly posts: PostsService,
    private readonly site: SiteContextService,
    private readonly redirects: RedirectsService,
  ) {}

  @Get()
  @Render('site/home')
  async home(@Query('page') pageParam: unknown, @Req() req: Request) {
    // WordPress's `/?p=12`, `/?page_id=3`: the home page answers any query, so old ones are asked here.
    if (/[?&](p|page_id|cat|tag)=/.test(req.originalUrl)) {
      const to = await this.redirects.find(req.originalUrl);
      if (to) throw new RedirectException(to, 301);
    }
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
