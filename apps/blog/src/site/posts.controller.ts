import { Controller, Get, NotFoundException, Param, Render, Res } from '@nestjs/common';
import type { Response } from 'express';

import { PostsService, postUrl, SocialCardsService, ViewCounterService } from '@app/content';

import { RedirectException } from '../common/redirect.exception.js';
import { showsPost } from './page-cache.middleware.js';
import { SiteContextService } from '../views/site-context.service.js';
import { jsonLd, pageImage, pageMeta, postCard } from './view-models.js';

@Controller('posts')
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly site: SiteContextService,
    private readonly views: ViewCounterService,
    private readonly cards: SocialCardsService,
  ) {}

  @Get(':slug')
  @Render('site/post')
  async show(@Param('slug') slug: string, @Res({ passthrough: true }) res: Response) {
    const post = await this.posts.findVisibleBySlug(slug);
    if (!post) {
      // An old slug of a renamed post keeps working.
      const current = await this.posts.redirectFor(slug);
      if (current) throw new RedirectException(postUrl(current), 301);
      throw new NotFoundException();
    }
    showsPost(res, post.id); // the page cache counts the view
    // The count as of the last flush, not live: the page stays cached until the shown counts move.
    const [site, neighbours, counts, card] = await Promise.all([
      this.site.get(),
      this.posts.neighbours(post),
      this.views.shown(),
      this.cards.imageFor(post),
    ]);
    const url = `${site.url}${postUrl(post.slug)}`;
    return {
      meta: pageMeta(site, postUrl(post.slug), {
        title: post.title,
        description: post.excerpt,
        type: 'article',
        publishedTime: post.publishedAt?.toISOString(),
        modifiedTime: post.updatedAt.toISOString(),
        image: pageImage(site.url, card, post.title),
        jsonLd: jsonLd({
          '@context': 'https://schema.org',
          '@type': 'BlogPosting',
          headline: post.title,
          description: post.excerpt,
          datePublished: post.publishedAt?.toISOString(),
          dateModified: post.updatedAt.toISOString(),
          author: { '@type': 'Person', name: site.authorName },
          mainEntityOfPage: url,
          url,
          keywords:
            post.tags
              .getItems()
              .map((t) => t.name)
              .join(', ') || undefined,
          wordCount: post.wordCount,
          image: card ? `${site.url}${card.url}` : undefined,
        }),
      }),
      post: {
        ...postCard(post),
        html: post.html,
        updatedAt: post.updatedAt,
        wordCount: post.wordCount,
        views: counts.of(post.id),
      },
      previous: neighbours.previous && { title: neighbours.previous.title, url: postUrl(neighbours.previous.slug) },
      next: neighbours.next && { title: neighbours.next.title, url: postUrl(neighbours.next.slug) },
    };
  }
}
