import { type DefaultTreeAdapterTypes, parse, parseFragment } from 'parse5';

type Node = DefaultTreeAdapterTypes.ChildNode | DefaultTreeAdapterTypes.Document | DefaultTreeAdapterTypes.DocumentFragment;
type Element = DefaultTreeAdapterTypes.Element;

/**
 * Elements in document order, parsed as a browser would (parse5, the WHATWG algorithm): text that
 * only looks like a tag, or a tag inside a comment, is no element — two of the spec's discovery
 * traps (webmention.rocks tests 13 and 14).
 */
export function* elementsOf(html: string, fragment = false): Generator<Element> {
  const stack: Node[] = [fragment ? parseFragment(html) : parse(html)];
  while (stack.length) {
    const node = stack.pop()!;
    if ('tagName' in node) yield node;
    const children = 'childNodes' in node ? node.childNodes : [];
    // <template> keeps its children in `content`: not rendered, so not linked either.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

export function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

/** Absolute http(s) URL of `href` against `base`, without its fragment; null for anything else. */
export function absoluteHttpUrl(href: string, base: string): string | null {
  try {
    const url = new URL(href.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.hash = '';
    return url.href;
  } catch {
    return null;
  }
}

/** Every distinct http(s) link (`a`/`area`/`link` href) in an HTML fragment, resolved against `base`. */
export function linksOf(html: string, base: string): string[] {
  const found = new Set<string>();
  for (const el of elementsOf(html, true)) {
    if (el.tagName !== 'a' && el.tagName !== 'area') continue;
    const href = attr(el, 'href');
    const url = href === undefined ? null : absoluteHttpUrl(href, base);
    if (url) found.add(url);
  }
  return [...found];
}

/**
 * Whether the document links to `target` (the spec's verification): an `href` or `src` of any
 * element that resolves to it, fragments ignored; a trailing slash is not the same URL.
 */
export function linksTo(html: string, base: string, target: string): boolean {
  const want = absoluteHttpUrl(target, target);
  if (!want) return false;
  for (const el of elementsOf(html)) {
    for (const name of ['href', 'src']) {
      const value = attr(el, name);
      if (value !== undefined && absoluteHttpUrl(value, base) === want) return true;
    }
  }
  return false;
}
