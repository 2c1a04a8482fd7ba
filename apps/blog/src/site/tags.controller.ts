import { Controller, Get, NotFoundException, Param, Query, Render } from '@nestjs/common';

import { PostsService, TagsService, tagUrl } from '@app/content';

import { assertPageExists, parsePage } from '../common/page-param.js';
import { SiteContextService } from '../views/site-context.service.js';
import { pageMeta, pagination, postCard } from './view-models.js';

@Controller('tags')
export class TagsController {
  constructor(
    private readonly posts: PostsService,
    private readonly tags: TagsService,
    private readonly site: SiteContextService,
  ) {}

  @Get()
  @Render('site/tags')
  async index() {
    const [site, tags] = await Promise.all([this.site.get(), this.tags.visibleWithCounts()]);
    return {
      meta: pageMeta(site, '/tags', { title: 'Tags' }),
      tags: tags.map((t) => ({ ...t, url: tagUrl(t.slug) })),
    };
  }

  @Get(':slug')
  @Render('site/tag')
  async show(@Param('slug') slug: string, @Query('page') pageParam: unknown) {
    const page = parsePage(pageParam);
    const tag = await this.tags.findBySlug(slug);
    if (!tag) throw new NotFoundException();
    const site = await this.site.get();
    const result = await this.posts.listVisible(page, site.postsPerPage, tag.slug);
    // A tag whose posts are all drafts or scheduled does not exist for readers yet.
    if (result.total === 0) throw new NotFoundException();
    assertPageExists(page, result.totalPages);
    const path = tagUrl(tag.slug);
    return {
      meta: pageMeta(site, page > 1 ? `${path}?page=${page}` : path, {
        title: page > 1 ? `${tag.name} (page ${page})` : tag.name,
        description: `Posts tagged ${tag.name}`,
      }),
      tag: { name: tag.name, total: result.total },
      posts: result.posts.map(postCard),
      pagination: pagination(path, page, result.totalPages),
    };
  }
}
