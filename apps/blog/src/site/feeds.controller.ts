import { Controller, Get, Header } from '@nestjs/common';
import { Feed } from 'feed';
import Handlebars from 'handlebars';

import { FEED_URL, JSON_FEED_URL, PostsService, postUrl, tagUrl } from '@app/content';

import { type SiteContext, SiteContextService } from '../views/site-context.service.js';

const FEED_SIZE = 20;

@Controller()
export class FeedsController {
  constructor(
    private readonly posts: PostsService,
    private readonly site: SiteContextService,
  ) {}

  @Get(FEED_URL)
  @Header('Content-Type', 'application/atom+xml; charset=utf-8')
  async atom(): Promise<string> {
    return (await this.build(asHtml)).atom1();
  }

  @Get(JSON_FEED_URL)
  @Header('Content-Type', 'application/feed+json; charset=utf-8')
  async json(): Promise<string> {
    return (await this.build((text) => text)).json1();
  }

  /**
   * `text`: how plain text (titles, summaries) is written. Atom's are `type="html"` (the feed
   * library's choice), so there it is escaped; JSON Feed's `title` and `summary` are plain text.
   */
  private async build(text: (plain: string) => string): Promise<Feed> {
    const [site, posts] = await Promise.all([this.site.get(), this.posts.latestVisible(FEED_SIZE)]);
    const author = { name: site.authorName, link: site.url };
    const feed = new Feed({
      title: site.title,
      description: site.description,
      id: `${site.url}/`,
      link: `${site.url}/`,
      language: site.language,
      updated: posts[0]?.updatedAt ?? new Date(0),
      generator: 'Inkstone',
      feedLinks: { atom: `${site.url}${FEED_URL}`, json: `${site.url}${JSON_FEED_URL}` },
      author,
      copyright: `© ${site.authorName}`,
    });
    for (const post of posts) {
      const link = `${site.url}${postUrl(post.slug)}`;
      feed.addItem({
        title: text(post.title),
        id: link,
        link,
        date: post.updatedAt,
        published: post.publishedAt ?? undefined,
        description: text(post.excerpt),
        content: absolutize(post.html, site),
        author: [author],
        category: post.tags.getItems().map((t) => ({ name: t.name, term: t.name, domain: `${site.url}${tagUrl(t.slug)}` })),
      });
    }
    return feed;
  }
}

/** Plain text as HTML: a summary reading `<script>` must stay those characters in a feed reader too. */
const asHtml = (plain: string) => Handlebars.Utils.escapeExpression(plain);

/** Feed readers resolve nothing against the site: make root-relative links absolute. */
function absolutize(html: string, site: SiteContext): string {
  return html.replace(/(\s(?:href|src)=")\/(?!\/)/g, `$1${site.url}/`);
}
