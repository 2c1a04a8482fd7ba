import LinkHeader from 'http-link-header';

import { attr, elementsOf } from './html-links.js';
import type { FetchedPage } from './bounded-fetch.js';

/**
 * The Webmention endpoint a fetched target advertises (W3C Webmention, 3.1.2 Sender discovers
 * receiver Webmention endpoint), or null: the first HTTP `Link` header with rel `webmention`
 * (rel values compared case-insensitively, a rel with several values counts); else the first
 * `<link>` or `<a>` element with that rel and an `href`, in document order; resolved against the
 * URL after redirects. An empty href is the page itself. Query strings are kept.
 */
export async function discoverEndpoint(page: Pick<FetchedPage, 'url' | 'headers' | 'body'>): Promise<string | null> {
  const fromHeader = linkHeaderEndpoint(page.headers.link);
  if (fromHeader !== null) return resolve(fromHeader, page.url);
  const type = String(page.headers['content-type'] ?? 'text/html');
  if (!/html/i.test(type)) return null;
  for (const el of await elementsOf(page.body.toString('utf8'))) {
    if (el.tagName !== 'link' && el.tagName !== 'a') continue;
    const rel = attr(el, 'rel');
    const href = attr(el, 'href');
    if (href === undefined || !rel || !hasRel(rel)) continue;
    return resolve(href, page.url);
  }
  return null;
}

function linkHeaderEndpoint(header: string | string[] | undefined): string | null {
  if (!header) return null;
  // Node joins repeated Link headers with ", ", which is the same list as one header.
  const value = Array.isArray(header) ? header.join(', ') : header;
  try {
    const refs = LinkHeader.parse(value).rel('webmention');
    return refs.length ? refs[0].uri : null;
  } catch {
    return null; // an unparsable header advertises nothing
  }
}

const hasRel = (rel: string) =>
  rel
    .toLowerCase()
    .split(/[\t\n\f\r ]+/)
    .includes('webmention');

function resolve(href: string, base: string): string | null {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
