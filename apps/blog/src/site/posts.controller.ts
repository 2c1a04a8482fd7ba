import { Controller, Get, NotFoundException, Param, Render, Res } from '@nestjs/common';
import type { Response } from 'express';

import {
  PostsService,
  postUrl,
  type ShownMentions,
  SocialCardsService,
  ViewCounterService,
  type WebmentionKind,
  WebmentionsService,
} from '@app/content';

import { RedirectException } from '../common/redirect.exception.js';
import { showsPost } from './page-cache.middleware.js';
import { SiteContextService } from '../views/site-context.service.js';
import { jsonLd, pageImage, pageMeta, postCard } from './view-models.js';
import { WEBMENTION_PATH } from './webmention.controller.js';

@Controller('posts')
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly site: SiteContextService,
    private readonly views: ViewCounterService,
    private readonly webmentions: WebmentionsService,
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
    // Approved mentions are read on render only: the page cache holds the result, and approving or
    // removing one is a content change that drops it.
    const [site, neighbours, counts, mentions, card] = await Promise.all([
      this.site.get(),
      this.posts.neighbours(post),
      this.views.shown(),
      this.webmentions.shownFor(post.id),
      this.cards.imageFor(post),
    ]);
    const url = `${site.url}${postUrl(post.slug)}`;
    const endpoint = `${site.url}${WEBMENTION_PATH}`;
    // Advertised twice, as the spec allows: the header (kept by the page cache with the page) and
    // the <link> in the head.
    res.setHeader('Link', `<${endpoint}>; rel="webmention"`);
    return {
      meta: pageMeta(site, postUrl(post.slug), {
        title: post.title,
        description: post.excerpt,
        type: 'article',
        webmention: endpoint,
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
      mentions: mentions.total ? mentionsView(mentions) : null,
      previous: neighbours.previous && { title: neighbours.previous.title, url: postUrl(neighbours.previous.slug) },
      next: neighbours.next && { title: neighbours.next.title, url: postUrl(neighbours.next.slug) },
    };
  }
}

const KIND_WORDS: Record<WebmentionKind, { one: string; many: string; did: string }> = {
  like: { one: 'like', many: 'likes', did: 'liked this' },
  reply: { one: 'reply', many: 'replies', did: 'replied' },
  repost: { one: 'repost', many: 'reposts', did: 'reposted this' },
  mention: { one: 'mention', many: 'mentions', did: 'mentioned this' },
};

/** Approved Webmentions as the post page shows them: counts by kind, then each one. */
function mentionsView(m: ShownMentions) {
  return {
    total: m.total,
    counts: m.counts.map((c) => ({
      kind: c.kind,
      label: `${c.count} ${c.count === 1 ? KIND_WORDS[c.kind].one : KIND_WORDS[c.kind].many}`,
    })),
    items: m.items.map((i) => ({
      ...i,
      authorName: i.authorName ?? new URL(i.source).host,
      did: KIND_WORDS[i.kind].did,
    })),
  };
}
