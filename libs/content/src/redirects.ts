/** The longest old address kept (the column's length). */
export const MAX_REDIRECT_PATH = 500;

/** Query parameters that name content in the engines people move from (WordPress's `?p=12`). */
const CONTENT_QUERY = ['p', 'page_id', 'cat', 'tag'];

/**
 * An old address as the redirect table keys it, or null when it is not one this blog can answer
 * (another site, too long, not a path). One form for what the import writes, what the author
 * types and what a reader requests: lower case (slugs are), decoded, no trailing slash, and of the
 * query only the parameter that named the content (`/?p=12`); `https://old.example/A/b/?x=1` → `/a/b`.
 */
export function oldPathKey(address: string): string | null {
  let url: URL;
  try {
    url = new URL(address, 'http://here.invalid');
  } catch {
    return null;
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    path = url.pathname;
  }
  path =
    path
      .toLowerCase()
      .replace(/\/{2,}/g, '/')
      .replace(/\/+$/, '') || '/';
  const name = CONTENT_QUERY.find((q) => url.searchParams.get(q));
  const key = name ? `${path}?${name}=${url.searchParams.get(name)!.toLowerCase()}` : path;
  return key.length <= MAX_REDIRECT_PATH ? key : null;
}

/**
 * Where a redirect may send a reader: a path of this blog (`/posts/x`), never another site
 * (`//evil.example` or `/\evil.example` would be one to a browser).
 */
export const isLocalTarget = (to: string): boolean =>
  to.length <= MAX_REDIRECT_PATH && /^\/(?![/\\])/.test(to) && !/[\s\p{Cc}]/u.test(to);
