import { XMLParser, XMLValidator } from 'fast-xml-parser';

import type { PostStatus } from '../entities/index.js';
import type { SiteSettings } from '../settings.service.js';
import { slugify } from '../slug.js';
import { FEED_URL, mediaUrl, pageUrl, postUrl, tagUrl } from '../urls.js';
import { ImportAssets, isImagePath } from './assets.js';
import {
  type ImportBundle,
  type ImportedPage,
  type ImportedPost,
  ImportError,
  isRecord,
  NO_RULES,
  parseDateField,
  type ReaderRules,
  str,
} from './bundle.js';
import { htmlToMarkdown } from './html-to-markdown.js';
import { type MappedMenu, type MenuEntry, mapMenu } from './menu.js';
import type { SourceFile } from './source-file.js';
import { wordpressToHtml } from './wordpress-content.js';

/** A WXR file: WordPress's RSS with its `wp:` namespace (Tools → Export). */
export const isWordPressExport = (text: string): boolean =>
  /^\s*<(\?xml|!--|!DOCTYPE|rss)\b/i.test(text) && /<rss\b/.test(text.slice(0, 8192)) && text.includes('wordpress.org/export/');

/** Elements that repeat: always read as lists, even when a file has one of them. */
const LISTS = new Set(['item', 'category', 'wp:category', 'wp:tag', 'wp:author', 'wp:postmeta', 'wp:comment']);

type Item = Record<string, unknown>;

const text = (v: unknown): string => (isRecord(v) ? str(v['#text']) : str(v)).trim();
/** What WordPress stores escaped in names and titles (`Coast &amp; Harbours`, `&#8217;`). */
const plain = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([\da-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
const list = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const meta = (item: Item, key: string): string =>
  text(list(item['wp:postmeta']).find((m) => text(m['wp:meta_key']) === key)?.['wp:meta_value']);
/** WordPress writes `0000-00-00 00:00:00` for a date it does not have (a draft's publication). */
const wpDate = (v: unknown, source: string, ref: string, field: string) => {
  const s = text(v);
  return !s || s.startsWith('0000') ? null : parseDateField(s, source, ref, field);
};
const decodeSlug = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

interface Entry {
  item: Item;
  id: string;
  ref: string;
  type: 'post' | 'page';
  slug: string;
  url: string;
}

/** The statuses that carry over, and what they become. Scheduled is published with a date to come. */
const STATUSES: Record<string, PostStatus> = {
  publish: 'published',
  future: 'published',
  draft: 'draft',
  pending: 'draft',
  private: 'draft',
};

/**
 * A WordPress export (WXR 1.2, as WordPress 6 writes it, "All content") and the uploads given
 * beside it. Read: posts and pages (a nested page keeps its own slug, its parent's added on a
 * clash), categories and tags (both as tags; "Uncategorized" dropped), publication dates from the
 * GMT fields, statuses, featured images (shown at the top of the post), Gutenberg blocks and
 * classic HTML with its shortcodes (wordpress-content.ts), links to other imported posts and
 * pages rewritten, images from the uploads (the original preferred over WordPress's `-300x200`
 * copies). Hand-written excerpts become summaries. Everything else is said in the warnings: comments, private and
 * password-protected posts (imported as drafts), other post types, missing images.
 */
export function readWordPressExport(
  xml: SourceFile,
  assetFiles: SourceFile[],
  source: string,
  rules: ReaderRules = NO_RULES,
): ImportBundle {
  const { maxImageBytes: MAX_UPLOAD_BYTES, reservedPageSlugs: RESERVED_PAGE_SLUGS } = rules;
  if (/<!DOCTYPE|<!ENTITY/i.test(xml.text)) {
    throw new ImportError(source, xml.path, 'declares a DOCTYPE or entities, which a WordPress export never does: refused.');
  }
  const valid = XMLValidator.validate(xml.text);
  if (valid !== true) {
    throw new ImportError(source, xml.path, `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}).`);
  }
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
    htmlEntities: false,
    isArray: (name) => LISTS.has(name),
  }).parse(xml.text) as Item;
  const channel = isRecord(doc.rss) && isRecord(doc.rss.channel) ? doc.rss.channel : null;
  if (!channel) throw new ImportError(source, xml.path, 'has no <rss><channel>: not a WordPress export.');

  const warnings: string[] = [];
  const base = new URL(text(channel['wp:base_blog_url']) || text(channel.link) || 'http://wordpress.invalid');
  const items = list(channel.item);
  const byId = new Map(items.map((i) => [text(i['wp:post_id']), i]));
  const typeOf = (i: Item) => text(i['wp:post_type']);

  // Attachments: the uploads folder's files, by their path inside it.
  const assets = new ImportAssets(assetFiles);
  const uploadPath = (url: string): string | null => {
    const m = /\/wp-content\/uploads\/(.+)$/.exec(url.split(/[?#]/)[0]);
    return m ? m[1] : null;
  };
  const missing = new Set<string>();
  const notImages = new Set<string>();
  /** The imported image for an uploads URL: the original over a resized copy, when it was given. */
  const imageFor = (url: string): string | undefined => {
    const path = uploadPath(url);
    if (!path) return undefined;
    if (!isImagePath(path)) {
      notImages.add(path);
      return undefined;
    }
    const original = path.replace(/-\d+x\d+(\.\w+)$/, '$1');
    const m = assets.image(original, MAX_UPLOAD_BYTES) ?? assets.image(path, MAX_UPLOAD_BYTES);
    if (!m) missing.add(path);
    return m && mediaUrl(m);
  };
  const attachment = (id: string) => {
    const a = byId.get(id);
    return a && typeOf(a) === 'attachment' ? { url: text(a['wp:attachment_url']), title: text(a.title) } : undefined;
  };

  // First pass: every post and page's new address, so links between them can be rewritten.
  const entries: Entry[] = [];
  const addresses = new Map<string, string>();
  const oldPath = (url: string): string | null => {
    let u: URL;
    try {
      u = new URL(url, base);
    } catch {
      return null;
    }
    if (u.hostname.replace(/^www\./, '') !== base.hostname.replace(/^www\./, '')) return null;
    const id = u.searchParams.get('p') ?? u.searchParams.get('page_id');
    if (id) return `?p=${id}`;
    // A nested category's address names its parents (/category/places/coast/); its own slug is enough.
    return decodeSlug(u.pathname)
      .replace(/\/?$/, '/')
      .toLowerCase()
      .replace(/^\/category\/(?:[^/]+\/)+?([^/]+\/)$/, '/category/$1');
  };
  /** The old addresses that answer 301 after the import: only what readers could reach. */
  const oldAddresses: { from: string; to: string }[] = ['/feed/', '/feed/rss2/', '/feed/atom/'].map((from) => ({
    from,
    to: FEED_URL,
  }));
  const skipped = new Map<string, number>();
  const usedSlugs = { post: new Set<string>(), page: new Set<string>() };
  for (const item of items) {
    const type = typeOf(item);
    const status = text(item['wp:status']);
    if (type === 'attachment' || type === 'nav_menu_item') continue; // menus: readWordPressMenu
    if ((type !== 'post' && type !== 'page') || !(status in STATUSES)) {
      if (status !== 'auto-draft' && status !== 'inherit') {
        const kind = type === 'post' || type === 'page' ? `${type}s with status "${status}"` : `items of type "${type}"`;
        skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
      }
      continue;
    }
    const id = text(item['wp:post_id']);
    const name = decodeSlug(text(item['wp:post_name']));
    const ref = `${type} ${id} (${name || text(item.title) || 'no slug'})`;
    let slug = slugify(name) || slugify(text(item.title)) || `${type}-${id}`;
    if (type === 'page') {
      // Pages share the root with the site's own routes, and WordPress nests them (/about/team/).
      const parent = byId.get(text(item['wp:post_parent']));
      if (RESERVED_PAGE_SLUGS.has(slug) || usedSlugs.page.has(slug))
        slug = slugify(`${parent ? text(parent['wp:post_name']) : 'page'}-${slug}`);
    }
    const used = usedSlugs[type as 'post' | 'page'];
    for (let n = 2; used.has(slug) || (type === 'page' && RESERVED_PAGE_SLUGS.has(slug)); n++)
      slug = `${slug.replace(/-\d+$/, '')}-${n}`;
    used.add(slug);
    const url = type === 'post' ? postUrl(slug) : pageUrl(slug);
    entries.push({ item, id, ref, type: type as 'post' | 'page', slug, url });
    addresses.set(`?p=${id}`, url);
    const link = oldPath(text(item.link));
    if (link && link !== '/') addresses.set(link, url);
    if (status === 'publish' || status === 'future') {
      const old = [text(item.link), type === 'post' ? `/?p=${id}` : `/?page_id=${id}`];
      // The date permalinks WordPress offers, whichever the site used (it redirects between them itself).
      const date = /^(\d{4})-(\d\d)-(\d\d)/.exec(text(item['wp:post_date']));
      if (type === 'post' && date && name)
        old.push(`/${date[1]}/${date[2]}/${date[3]}/${name}/`, `/${date[1]}/${date[2]}/${name}/`);
      for (const from of old)
        if (oldPath(from) !== null)
          oldAddresses.push({ from: new URL(from, base).pathname + new URL(from, base).search, to: url });
    }
  }
  const terms = (domain: string) =>
    list(channel[domain === 'category' ? 'wp:category' : 'wp:tag']).map((t) => ({
      nicename: decodeSlug(text(t[domain === 'category' ? 'wp:category_nicename' : 'wp:tag_slug'])),
      name: plain(text(t[domain === 'category' ? 'wp:cat_name' : 'wp:tag_name'])),
    }));
  const parentOf = new Map(
    list(channel['wp:category']).map((c) => [
      decodeSlug(text(c['wp:category_nicename'])),
      decodeSlug(text(c['wp:category_parent'])),
    ]),
  );
  /** A nested category's address names its parents: /category/places/coast/. */
  const categoryPath = (nicename: string) => {
    const chain = [nicename];
    for (let p = parentOf.get(nicename); p && chain.length < 10 && !chain.includes(p); p = parentOf.get(p)) chain.unshift(p);
    return `/category/${chain.join('/')}/`;
  };
  for (const t of terms('category')) {
    if (!t.name || t.name === 'Uncategorized') continue;
    addresses.set(`/category/${t.nicename}/`.toLowerCase(), tagUrl(slugify(t.name)));
    for (const from of new Set([`/category/${t.nicename}/`, categoryPath(t.nicename)]))
      oldAddresses.push({ from, to: tagUrl(slugify(t.name)) });
  }
  for (const t of terms('post_tag')) {
    if (!t.name) continue;
    addresses.set(`/tag/${t.nicename}/`.toLowerCase(), tagUrl(slugify(t.name)));
    oldAddresses.push({ from: `/tag/${t.nicename}/`, to: tagUrl(slugify(t.name)) });
  }
  for (const a of list(channel['wp:author']))
    if (text(a['wp:author_login'])) oldAddresses.push({ from: `/author/${text(a['wp:author_login'])}/`, to: '/' });

  /** A URL in a post, as it should be here: an imported image, another imported post, or as it was. */
  const rewrite = (url: string): string => {
    if (/\/wp-content\/uploads\//.test(url) && oldPath(url) !== null) return imageFor(url) ?? url;
    const path = oldPath(url);
    if (path === null) return url;
    const to = addresses.get(path);
    const hash = url.includes('#') ? url.slice(url.indexOf('#')) : '';
    return to ? to + hash : url;
  };

  const leftOutShortcodes = new Map<string, Set<string>>();
  const context = (ref: string) => ({
    attachment,
    attachedTo: (postId: string) =>
      items
        .filter((i) => typeOf(i) === 'attachment' && text(i['wp:post_parent']) === postId)
        .map((i) => ({ url: text(i['wp:attachment_url']), title: text(i.title) })),
    reusable: (id: string) => {
      const b = byId.get(id);
      return b && typeOf(b) === 'wp_block' ? text(b['content:encoded']) : undefined;
    },
    leftOut: (name: string) => {
      const set = leftOutShortcodes.get(ref) ?? new Set();
      leftOutShortcodes.set(ref, set.add(name));
    },
  });

  const posts: ImportedPost[] = [];
  const pages: ImportedPage[] = [];
  let comments = 0;
  const commented: string[] = [];
  for (const { item, id, ref, type, slug } of entries) {
    const wpStatus = text(item['wp:status']);
    let status = STATUSES[wpStatus];
    if (wpStatus === 'private') warnings.push(`${source}, ${ref}: private in WordPress; imported as a draft.`);
    if (text(item['wp:post_password'])) {
      if (status === 'published') warnings.push(`${source}, ${ref}: password-protected in WordPress; imported as a draft.`);
      status = 'draft';
    }
    let markdown: string;
    try {
      markdown = htmlToMarkdown(wordpressToHtml(text(item['content:encoded']), id, context(ref)));
    } catch (err) {
      throw new ImportError(source, ref, `its content cannot be read (${(err as Error).message}).`);
    }
    markdown = markdown.replace(/(\]\()([^)\s]+)/g, (_, open: string, url: string) => open + rewrite(url));
    const thumbnail = attachment(meta(item, '_thumbnail_id'));
    if (thumbnail) {
      const src = imageFor(thumbnail.url);
      if (src && !markdown.includes(src)) markdown = `![${thumbnail.title.replace(/[[\]]/g, '')}](${src})\n\n${markdown}`;
    }
    const title = plain(text(item.title)) || '(untitled)';
    const createdAt =
      wpDate(item['wp:post_date_gmt'], source, ref, 'post_date_gmt') ?? wpDate(item['wp:post_date'], source, ref, 'post_date');
    const updatedAt = wpDate(item['wp:post_modified_gmt'], source, ref, 'post_modified_gmt') ?? undefined;
    const itemComments = list(item['wp:comment']).filter((c) => ['', 'comment'].includes(text(c['wp:comment_type'])));
    if (itemComments.length) {
      comments += itemComments.length;
      commented.push(`${ref}: ${itemComments.length}`);
    }
    // The excerpt box is plain text that WordPress shows through its filters; tags in it are dropped here.
    const summary = plain(text(item['excerpt:encoded']).replace(/<[^>]*>/g, ' '))
      .replace(/\s+/g, ' ')
      .trim();
    if (type === 'page') {
      pages.push({ ref, title, slug, markdown, status, navOrder: null, summary, createdAt: createdAt ?? undefined, updatedAt });
      continue;
    }
    const tags = list(item.category)
      .filter((c) => ['category', 'post_tag'].includes(str(c['@_domain'])))
      .map((c) => plain(text(c)))
      .filter((name) => name && name !== 'Uncategorized');
    posts.push({
      ref,
      title,
      slug,
      markdown,
      status,
      // A draft has no publication date until it is published; a scheduled post keeps its date to come.
      publishedAt: status === 'published' ? createdAt : null,
      createdAt: createdAt ?? undefined,
      updatedAt,
      tags: [...new Map(tags.map((t) => [slugify(t), t])).values()],
      redirects: [],
      summary,
    });
  }

  for (const [ref, names] of leftOutShortcodes)
    warnings.push(`${source}, ${ref}: shortcodes with no meaning here left out: ${[...names].map((n) => `[${n}]`).join(', ')}.`);
  if (comments) warnings.push(`${source}: ${comments} comments left out (this blog has no comments): ${commented.join('; ')}.`);
  for (const [kind, n] of skipped) warnings.push(`${source}: ${n} ${kind} left out.`);
  const authors = list(channel['wp:author']).map((a) => text(a['wp:author_display_name']) || text(a['wp:author_login']));
  if (authors.length > 1)
    warnings.push(`${source}: posts by ${authors.length} authors (${authors.join(', ')}) are all under this blog's one author.`);
  if (missing.size) {
    const some = [...missing].slice(0, 10).join(', ');
    warnings.push(
      assets.size
        ? `${source}: ${missing.size} images were not in the uploads given and stay at their old addresses: ${some}${missing.size > 10 ? ', …' : ''}.`
        : `${source}: images stay at their old addresses (${missing.size}); import again with the wp-content/uploads folder or its zip beside the file to bring them in.`,
    );
  }

  if (notImages.size)
    warnings.push(
      `${source}: ${notImages.size} linked files are not images and stay at their old addresses: ${[...notImages].join(', ')}.`,
    );

  const settings: Partial<SiteSettings> = {};
  const menu = readWordPressMenu(channel, items, entries, { source, oldPath, addresses });
  if (menu) {
    for (const page of pages) page.navOrder = menu.positions.get(page.slug) ?? null;
    if (menu.links.length) settings.navLinks = menu.links;
    warnings.push(...menu.warnings);
  }
  if (text(channel.title)) settings.title = text(channel.title);
  if (text(channel.description)) settings.description = text(channel.description);
  if (/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(text(channel.language))) settings.language = text(channel.language);

  return {
    format: 'wordpress',
    source,
    settings,
    tags: [],
    media: assets.media,
    pages,
    posts,
    warnings,
    oldAddresses,
  };
}

/** The site menu, by its usual names when a file has several (a WXR does not say which one the theme showed). */
const MAIN_MENU = /primary|main|header|top|menu-1/i;

/**
 * The site's menu (`nav_menu_item` posts of the `nav_menu` term): pages keep their place in it,
 * other items become links of this blog where they point at something here (a post, a category
 * or tag, the home page, another site), else are said to be left out.
 */
function readWordPressMenu(
  channel: Item,
  items: Item[],
  entries: Entry[],
  old: { source: string; oldPath: (url: string) => string | null; addresses: Map<string, string> },
): MappedMenu | null {
  const { source } = old;
  const menuOf = (i: Item) => list(i.category).find((c) => str(c['@_domain']) === 'nav_menu');
  const menuItems = items.filter((i) => text(i['wp:post_type']) === 'nav_menu_item' && text(i['wp:status']) === 'publish');
  const menus = new Map<string, { name: string; items: Item[] }>();
  for (const item of menuItems) {
    const term = menuOf(item);
    if (!term) continue;
    const slug = str(term['@_nicename']);
    const menu = menus.get(slug) ?? { name: plain(text(term)) || slug, items: [] };
    menu.items.push(item);
    menus.set(slug, menu);
  }
  if (menus.size === 0) return null;
  const [chosen] = [...menus.entries()].sort(
    ([a, x], [b, y]) => Number(MAIN_MENU.test(b)) - Number(MAIN_MENU.test(a)) || y.items.length - x.items.length,
  );
  const others = [...menus.values()].filter((m) => m !== chosen[1]);

  const byId = new Map(entries.map((e) => [e.id, e]));
  const terms = new Map<string, { taxonomy: string; name: string }>();
  for (const c of list(channel['wp:category']))
    terms.set(text(c['wp:term_id']), { taxonomy: 'category', name: plain(text(c['wp:cat_name'])) });
  for (const t of list(channel['wp:tag']))
    terms.set(text(t['wp:term_id']), { taxonomy: 'post_tag', name: plain(text(t['wp:tag_name'])) });

  const entry = (item: Item): MenuEntry => {
    const resolved = target(item);
    const parent = meta(item, '_menu_item_menu_item_parent');
    return parent && parent !== '0'
      ? { label: resolved.label, leftOut: "a sub-menu item; this blog's menu has one level" }
      : resolved;
  };
  const target = (item: Item): MenuEntry => {
    const label = plain(text(item.title));
    const kind = meta(item, '_menu_item_type');
    const object = meta(item, '_menu_item_object');
    const objectId = meta(item, '_menu_item_object_id');
    if (kind === 'post_type') {
      const target = byId.get(objectId);
      if (!target) return { label, leftOut: `${object} ${objectId}, which is not imported` };
      const name = label || plain(text(target.item.title));
      return target.type === 'page' ? { label: name, page: target.slug } : { label: name, url: target.url };
    }
    if (kind === 'taxonomy') {
      const term = terms.get(objectId);
      if (!term || term.taxonomy !== object || !term.name || term.name === 'Uncategorized')
        return { label, leftOut: `${object} ${objectId}, which is not imported` };
      return { label: label || term.name, url: tagUrl(slugify(term.name)) };
    }
    if (kind === 'custom') {
      const url = meta(item, '_menu_item_url');
      // Only an address (absolute, or a path of the old site) can be the old site's; `#top` is not one.
      const path = /^(https?:)?\/\//i.test(url) || url.startsWith('/') ? old.oldPath(url) : null;
      if (path === null) return { label, url };
      if (path === '/') return { label, url: '/' };
      const here = old.addresses.get(path);
      return here ? { label, url: here } : { label, leftOut: `${url}, an address of the old site with nothing here` };
    }
    return { label, leftOut: `a ${kind || 'typeless'} item` };
  };
  const order = (i: Item) => Number(text(i['wp:menu_order'])) || 0;
  const mapped = mapMenu(source, chosen[1].name, [...chosen[1].items].sort((a, b) => order(a) - order(b)).map(entry));
  if (others.length)
    mapped.warnings.push(
      `${source}: menus left out: ${others.map((m) => `"${m.name}" (${m.items.length} items)`).join(', ')}; this blog has one menu, and "${chosen[1].name}" was taken as it.`,
    );
  return mapped;
}
