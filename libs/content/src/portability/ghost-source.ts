import type { PostStatus } from '../entities/index.js';
import type { SiteSettings } from '../settings.service.js';
import { slugify } from '../slug.js';
import { FEED_URL, mediaUrl, pageUrl, postUrl, tagUrl } from '../urls.js';
import { ImportAssets } from './assets.js';
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
import { lexicalToMarkdown, mobiledocToMarkdown } from './ghost-content.js';
import { type MappedMenu, type MenuEntry, mapMenu } from './menu.js';
import { htmlToMarkdown } from './html-to-markdown.js';
import type { SourceFile } from './source-file.js';

/** Ghost's export: `{db: [{meta, data: {posts, tags, posts_tags, settings, …}}]}` (older ones lack `db`). */
function ghostData(doc: unknown): Record<string, unknown> | null {
  const db = isRecord(doc) && Array.isArray(doc.db) ? doc.db[0] : doc;
  return isRecord(db) && isRecord(db.data) && Array.isArray(db.data.posts) ? db.data : null;
}

export const isGhostExport = (doc: unknown): boolean => ghostData(doc) !== null;

/** Ghost's settings that have a counterpart here. */
const SETTINGS: Record<string, keyof SiteSettings> = {
  title: 'title',
  description: 'description',
  locale: 'language',
  lang: 'language',
};

/** `__GHOST_URL__/content/images/size/w600/2024/11/a.jpg` → `2024/11/a.jpg`: the file in content/images. */
const ghostImagePath = (url: string): string | null => {
  const m = /^(?:__GHOST_URL__)?\/content\/images\/(?:size\/[\w-]+\/)?(?:format\/\w+\/)?([^?#]+)/.exec(url);
  return m ? m[1] : null;
};

/**
 * Ghost's export JSON, with its `content/images` folder (or a zip of it) given beside it: every
 * `__GHOST_URL__/content/images/…` reference, feature images included, becomes an imported image,
 * and links to the old blog's `/slug/`, `/tag/slug/` become this blog's addresses.
 */
export function readGhostExport(
  doc: unknown,
  source: string,
  assetFiles: SourceFile[] = [],
  rules: ReaderRules = NO_RULES,
): ImportBundle {
  const data = ghostData(doc)!;
  const rows = (name: string) => (Array.isArray(data[name]) ? (data[name] as unknown[]).filter(isRecord) : []);
  const warnings: string[] = [];

  // Ghost's internal tags (#hash names) drive its themes; they are not the author's topics.
  const tagsById = new Map(
    rows('tags')
      .filter((t) => !str(t.name).startsWith('#'))
      .map((t) => [str(t.id), str(t.name)]),
  );
  const postTags = new Map<string, { name: string; order: number }[]>();
  for (const pt of rows('posts_tags')) {
    const name = tagsById.get(str(pt.tag_id));
    if (!name) continue;
    const list = postTags.get(str(pt.post_id)) ?? [];
    list.push({ name, order: Number(pt.sort_order) || 0 });
    postTags.set(str(pt.post_id), list);
  }

  const settings: Partial<SiteSettings> = {};
  for (const s of rows('settings')) {
    const key = SETTINGS[str(s.key)];
    if (key && typeof s.value === 'string' && s.value.trim()) Object.assign(settings, { [key]: s.value.trim() });
  }

  // Where the old blog's internal links go now (Ghost's own routes: /slug/ for posts and pages, /tag/slug/).
  const addresses = new Map<string, string>();
  for (const p of rows('posts')) {
    const slug = slugify(str(p.slug) || str(p.title));
    if (slug) addresses.set(`/${slug}/`, p.type === 'page' || p.page === true || p.page === 1 ? pageUrl(slug) : postUrl(slug));
  }
  for (const t of rows('tags'))
    if (str(t.slug) && !str(t.name).startsWith('#')) addresses.set(`/tag/${str(t.slug)}/`, tagUrl(slugify(str(t.name))));
  // Ghost 5 keeps a feature image's alt text in posts_meta; older exports on the post.
  const featureAlt = new Map(rows('posts_meta').map((m) => [str(m.post_id), str(m.feature_image_alt)]));
  const assets = new ImportAssets(assetFiles);
  const missing = new Set<string>();
  const rewrite = (url: string): string => {
    const image = ghostImagePath(url);
    if (image) {
      const m = assets.image(image, rules.maxImageBytes);
      if (!m) missing.add(image);
      return m ? mediaUrl(m) : url.replace('__GHOST_URL__', '');
    }
    const internal = /^__GHOST_URL__(\/[^?#]*?)\/?([?#].*)?$/.exec(url);
    if (!internal) return url;
    return (addresses.get(`${internal[1].toLowerCase()}/`) ?? internal[1]) + (internal[2]?.startsWith('#') ? internal[2] : '');
  };

  const posts: ImportedPost[] = [];
  const pages: ImportedPage[] = [];
  rows('posts').forEach((p, i) => {
    const ref = `post ${i + 1} (${str(p.slug) || str(p.title) || 'no slug'})`;
    let markdown = body(p, source, ref).replace(/(\]\()([^)\s]+)/g, (_, open: string, url: string) => open + rewrite(url));
    const feature = str(p.feature_image);
    if (feature) {
      const src = rewrite(feature);
      const alt = (featureAlt.get(str(p.id)) || str(p.feature_image_alt)).replace(/[[\]]/g, '');
      if (!markdown.includes(src)) markdown = `![${alt}](${src})\n\n${markdown}`;
    }
    const ghostStatus = str(p.status);
    if (!['published', 'draft', 'scheduled', 'sent'].includes(ghostStatus)) {
      throw new ImportError(source, ref, `unknown status "${ghostStatus}".`);
    }
    const status: PostStatus = ghostStatus === 'draft' ? 'draft' : 'published';
    const common = {
      ref,
      title: str(p.title),
      slug: str(p.slug),
      markdown: markdown.replaceAll('__GHOST_URL__', ''),
      status,
      // Ghost's "Excerpt" field (plain text, at most 300 characters); null when the author wrote none.
      summary: str(p.custom_excerpt),
      createdAt: parseDateField(p.created_at, source, ref, 'created_at') ?? undefined,
      updatedAt: parseDateField(p.updated_at, source, ref, 'updated_at') ?? undefined,
    };
    if (p.type === 'page' || p.page === true || p.page === 1) {
      pages.push({ ...common, navOrder: null });
    } else {
      posts.push({
        ...common,
        publishedAt: parseDateField(p.published_at, source, ref, 'published_at'),
        tags: (postTags.get(str(p.id)) ?? []).sort((a, b) => a.order - b.order).map((t) => t.name),
        redirects: [],
      });
    }
  });
  if (missing.size) {
    const some = [...missing].slice(0, 10).join(', ');
    warnings.push(
      assets.size
        ? `${source}: ${missing.size} images were not among the files given and stay at their Ghost addresses: ${some}${missing.size > 10 ? ', …' : ''}.`
        : `${source}: images stay at their Ghost addresses (/content/images/…); import again with the content/images folder or its zip beside the file to bring them in.`,
    );
  }
  // Ghost's own addresses: /slug/ for posts, /tag/x/, /author/x/, /rss/ (pages keep theirs: /about/ is /about here).
  const oldAddresses = [
    { from: '/rss/', to: FEED_URL },
    ...posts
      .filter((p) => p.status === 'published')
      .map((p) => ({ from: `/${p.slug}/`, to: postUrl(slugify(p.slug) || slugify(p.title)) })),
    ...rows('tags')
      .filter((t) => str(t.slug) && !str(t.name).startsWith('#'))
      .map((t) => ({ from: `/tag/${str(t.slug)}/`, to: tagUrl(slugify(str(t.name))) })),
    ...rows('users')
      .filter((u) => str(u.slug))
      .map((u) => ({ from: `/author/${str(u.slug)}/`, to: '/' })),
  ];
  const setting = (key: string) => rows('settings').find((r) => str(r.key) === key)?.value;
  const menu = readGhostNavigation(setting('navigation'), setting('secondary_navigation'), pages, addresses, source);
  for (const page of pages) page.navOrder = menu.positions.get(page.slug) ?? null;
  if (menu.links.length) settings.navLinks = menu.links;
  warnings.push(...menu.warnings);
  return { format: 'ghost', source, settings, tags: [], media: assets.media, pages, posts, warnings, oldAddresses };
}

/** The post's text as Markdown: the rendered HTML when Ghost exported it, else its editor's tree. */
function body(p: Record<string, unknown>, source: string, ref: string): string {
  try {
    if (str(p.html).trim()) return htmlToMarkdown(str(p.html));
    if (str(p.lexical).trim()) return lexicalToMarkdown(str(p.lexical));
    if (str(p.mobiledoc).trim()) return mobiledocToMarkdown(str(p.mobiledoc));
    return str(p.plaintext);
  } catch (err) {
    throw new ImportError(source, ref, `its content cannot be read (${(err as Error).message}).`);
  }
}

/** Ghost keeps its menus as JSON text in settings: `[{"label": "About", "url": "/about/"}, …]`. */
function navigationItems(value: unknown): { label: string; url: string }[] {
  let items: unknown = value;
  if (typeof value === 'string') {
    try {
      items = JSON.parse(value);
    } catch {
      return [];
    }
  }
  return Array.isArray(items) ? items.filter(isRecord).map((i) => ({ label: str(i.label), url: str(i.url).trim() })) : [];
}

/**
 * Ghost's primary navigation (Settings → Navigation): pages keep their place in it, the old
 * blog's other addresses (home, posts, tags, the feed) and other sites become links; its secondary
 * navigation (the footer) is said to be left out, as this blog has one menu.
 */
function readGhostNavigation(
  primary: unknown,
  secondary: unknown,
  pages: ImportedPage[],
  addresses: Map<string, string>,
  source: string,
): MappedMenu {
  const pageSlugs = new Set(pages.map((p) => p.slug));
  const entries = navigationItems(primary).map(({ label, url }): MenuEntry => {
    const local = /^(?:__GHOST_URL__)?(\/[^?#]*)/.exec(url);
    if (!local || url.startsWith('//')) return { label, url };
    const path = `${local[1].replace(/\/?$/, '/').toLowerCase()}`;
    if (path === '/') return { label, url: '/' };
    if (path === '/rss/') return { label, url: FEED_URL };
    const slug = /^\/([^/]+)\/$/.exec(path)?.[1];
    if (slug && pageSlugs.has(slug)) return { label, page: slug };
    const here = addresses.get(path);
    return here ? { label, url: here } : { label, leftOut: `${url}, an address of the old blog with nothing here` };
  });
  const mapped = mapMenu(source, 'navigation', entries);
  const footer = navigationItems(secondary);
  if (footer.length)
    mapped.warnings.push(
      `${source}: the secondary navigation left out (this blog has one menu): ${footer.map((i) => `"${i.label}" (${i.url})`).join(', ')}.`,
    );
  return mapped;
}
