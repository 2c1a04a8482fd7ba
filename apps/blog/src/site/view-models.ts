import { type CardImage, type ListedPost, type Post, postUrl, type SiteSettings, tagUrl } from '@app/content';

/** Plain objects for the templates: no entities, no lazy collections, URLs from @app/content's one owner. */
export interface PostCard {
  url: string;
  title: string;
  excerpt: string;
  publishedAt: Date | null;
  readingMinutes: number;
  tags: TagLink[];
}

export interface TagLink {
  name: string;
  url: string;
}

export interface PageMeta {
  title: string;
  description: string;
  /** Absolute. */
  canonical: string;
  type: 'website' | 'article';
  publishedTime?: string;
  modifiedTime?: string;
  noindex?: boolean;
  /** JSON-LD object, serialized safely by the layout. */
  jsonLd?: string;
  /** The Webmention endpoint a post page advertises (absolute). */
  webmention?: string;
  /** og:image / twitter:image (a post's social card); absent: none, and twitter:card stays `summary`. */
  image?: PageImage;
}

export interface PageImage {
  /** Absolute. */
  url: string;
  width: number | null;
  height: number | null;
  type: string;
  alt: string;
}

export function postCard(post: ListedPost | Post): PostCard {
  return {
    url: postUrl(post.slug),
    title: post.title,
    excerpt: post.excerpt,
    publishedAt: post.publishedAt,
    readingMinutes: post.readingMinutes,
    tags: post.tags.getItems().map((t) => ({ name: t.name, url: tagUrl(t.slug) })),
  };
}

export function pageMeta(site: SiteSettings & { url: string }, path: string, meta: Partial<PageMeta> = {}): PageMeta {
  const { title, description, ...rest } = meta;
  return {
    type: 'website',
    ...rest,
    title: title ? `${title} · ${site.title}` : site.title,
    description: description || site.description,
    canonical: `${site.url}${path}`,
  };
}

/**
 * JSON for a <script type="application/ld+json"> block: `<` is escaped so no string in it can
 * close the script element.
 */
export function jsonLd(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface Pagination {
  page: number;
  totalPages: number;
  previousUrl: string | null;
  nextUrl: string | null;
}

export function pagination(
  basePath: string,
  page: number,
  totalPages: number,
  query: Record<string, string> = {},
): Pagination | null {
  if (totalPages <= 1) return null;
  const url = (n: number) => {
    const params = new URLSearchParams({ ...query, ...(n > 1 ? { page: String(n) } : {}) }).toString();
    return params ? `${basePath}?${params}` : basePath;
  };
  return {
    page,
    totalPages,
    previousUrl: page > 1 ? url(page - 1) : null,
    nextUrl: page < totalPages ? url(page + 1) : null,
  };
}

/** A social card as the page's og:image: absolute, described by the post's title. */
export function pageImage(siteUrl: string, card: CardImage | null, alt: string): PageImage | undefined {
  return card ? { url: `${siteUrl}${card.url}`, width: card.width, height: card.height, type: card.type, alt } : undefined;
}
