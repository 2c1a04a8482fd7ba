import type { Media, RenditionInfo } from './entities/index.js';

/**
 * The one owner of the reader-facing URLs of content (DESIGN.md's URL map): the site, the admin,
 * feeds, the sitemap, search results and the page menu all ask here, never build one by hand.
 * Slugs are encoded, so a URL is always safe to put in an attribute or a Location header.
 */
export const postUrl = (slug: string): string => `/posts/${encodeURIComponent(slug)}`;

export const tagUrl = (slug: string): string => `/tags/${encodeURIComponent(slug)}`;

/** The Atom feed: where an old blog's feed addresses (`/feed/`, `/rss/`) are sent. */
export const FEED_URL = '/feed.xml';

/** The same posts as JSON Feed. */
export const JSON_FEED_URL = '/feed.json';

/** Pages live at the root, beside the site's own routes (RESERVED_PAGE_SLUGS keeps them apart). */
export const pageUrl = (slug: string): string => `/${encodeURIComponent(slug)}`;

export const mediaUrl = (m: Pick<Media, 'id' | 'filename'>): string => `/media/${m.id}/${encodeURIComponent(m.filename)}`;

/** A rendition's file name: the original's base name, its width and format (`harbour-720w.avif`). */
export const renditionFilename = (m: Pick<Media, 'filename'>, r: Pick<RenditionInfo, 'width' | 'format'>): string =>
  `${m.filename.replace(/\.[^.]*$/, '')}-${r.width}w.${r.format}`;

export const renditionUrl = (m: Pick<Media, 'id' | 'filename'>, r: Pick<RenditionInfo, 'width' | 'format'>): string =>
  `/media/${m.id}/${encodeURIComponent(renditionFilename(m, r))}`;

/** The prefix every URL of one image starts with, whatever its file name: what an import rewrites. */
export const mediaUrlPrefix = (id: number): string => `/media/${id}/`;

/** A media id as URLs write it: no leading zero, at most 10 digits (`/media/05/x` names nothing). */
const MEDIA_ID = String.raw`[1-9]\d{0,9}`;
const WHOLE_MEDIA_ID = new RegExp(`^${MEDIA_ID}$`);

/** The id the media route's `:id` segment names, or null (then the route answers 404). */
export const mediaIdOfSegment = (segment: string): number | null => (WHOLE_MEDIA_ID.test(segment) ? Number(segment) : null);

/**
 * mediaUrlPrefix as a pattern, the id in group 1. The one parser of media URLs: every reader of
 * `/media/:id/` below, and featureImageId's pattern, are built from it (and the route's id check
 * from MEDIA_ID).
 */
export const MEDIA_PREFIX_PATTERN = `/media/(${MEDIA_ID})/`;

const MEDIA_PATH = new RegExp(`^${MEDIA_PREFIX_PATTERN}[^/?#]+$`);
const MEDIA_PREFIXES = new RegExp(MEDIA_PREFIX_PATTERN, 'g');

/**
 * The image a site-relative path of mediaUrl's or renditionUrl's shape names (`/media/12/a.png`:
 * nothing before it, a file name after it, no query or fragment), or null.
 */
export function mediaIdOf(path: string): number | null {
  const match = MEDIA_PATH.exec(path);
  return match ? Number(match[1]) : null;
}

/** The images a text links to (every `/media/:id/` in it, absolute or not), each once, in order. */
export const mediaIdsIn = (text: string): number[] => [...new Set([...text.matchAll(MEDIA_PREFIXES)].map((m) => Number(m[1])))];

/** The text with every `/media/:id/` prefix moved to `to(id)`'s; where `to` answers undefined it stays. */
export function relinkMedia(text: string, to: (id: number) => number | undefined): string {
  return text.replace(MEDIA_PREFIXES, (all, id: string) => {
    const moved = to(Number(id));
    return moved === undefined ? all : mediaUrlPrefix(moved);
  });
}

/**
 * The slug a path of postUrl's shape names, or null: what an incoming link (a Webmention's
 * target) points at. The inverse of postUrl; a bad percent-encoding is no post.
 */
export function postSlugOfPath(path: string): string | null {
  const match = /^\/posts\/([^/]+)\/?$/.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
