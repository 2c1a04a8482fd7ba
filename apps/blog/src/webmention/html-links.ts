import type { DefaultTreeAdapterTypes } from 'parse5';

type Node = DefaultTreeAdapterTypes.ChildNode | DefaultTreeAdapterTypes.Document | DefaultTreeAdapterTypes.DocumentFragment;
type Element = DefaultTreeAdapterTypes.Element;

let parser: Promise<typeof import('parse5')> | null = null;
/**
 * Loaded with the first page parsed (a Webmention received, an author's save that sends them),
 * not at boot: parse5 is 174 KB of the bundle, which the boot would otherwise evaluate before its
 * first reader (issue 16).
 */
const loadParse5 = () => (parser ??= import('parse5'));

/**
 * Elements in document order, parsed as a browser would (parse5, the WHATWG algorithm): text that
 * only looks like a tag, or a tag inside a comment, is no element — two of the spec's discovery
 * traps (webmention.rocks tests 13 and 14).
 */
export async function elementsOf(html: string, fragment = false): Promise<Element[]> {
  const { parse, parseFragment } = await loadParse5();
  const elements: Element[] = [];
  const stack: Node[] = [fragment ? parseFragment(html) : parse(html)];
  while (stack.length) {
    const node = stack.pop()!;
    if ('tagName' in node) elements.push(node);
    const children = 'childNodes' in node ? node.childNodes : [];
    // <template> keeps its children in `content`: not rendered, so not linked either.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return elements;
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
export async function linksOf(html: string, base: string): Promise<string[]> {
  const found = new Set<string>();
  for (const el of await elementsOf(html, true)) {
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
export async function linksTo(html: string, base: string, target: string): Promise<boolean> {
  const want = absoluteHttpUrl(target, target);
  if (!want) return false;
  for (const el of await elementsOf(html)) {
    for (const name of ['href', 'src']) {
      const value = attr(el, name);
      if (value !== undefined && absoluteHttpUrl(value, base) === want) return true;
    }
  }
  return false;
}
