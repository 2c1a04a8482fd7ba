import { basename, dirname, posix } from 'node:path';

import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

import { slugify } from '../slug.js';
import { mediaUrl, pageUrl, postUrl } from '../urls.js';
import { ImportAssets, isImagePath } from './assets.js';
import { convertShortcodes } from './shortcodes.js';
import { isMarkdownFile, type SourceFile } from './source-file.js';

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

/** `---` YAML (Jekyll, Eleventy, Hugo) or `+++` TOML (Hugo) front matter, and the body after it. */
function splitFrontMatter(text: string, source: string, ref: string): { data: Record<string, unknown>; body: string } | null {
  const match = /^\uFEFF?(---|\+\+\+)[ \t]*\r?\n([\s\S]*?)\r?\n\1[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return null;
  let data: unknown;
  try {
    data = match[1] === '+++' ? parseToml(match[2]) : parseYaml(match[2]);
  } catch (err) {
    throw new ImportError(source, ref, `its front matter cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data !== null && !isRecord(data)) throw new ImportError(source, ref, 'its front matter is not a set of fields.');
  return { data: data ?? {}, body: text.slice(match[0].length) };
}

const list = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.map(str).filter(Boolean);
  // Jekyll writes `tags: one two` for a list of single words.
  if (typeof v === 'string')
    return v
      .split(v.includes(',') ? ',' : /\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
  return [];
};

/** The slug an old address ends with: `/2019/01/old-name/` and `/old-name.html` give `old-name`. */
const slugOfPath = (path: string) => basename(path.replace(/\/+$/, '').replace(/\.html?$/, ''));

/** How a file is named in a `ref`, `relref`, `post_url` or `link`: `posts/x.md`, `/posts/x/`, `2020-01-02-x`. */
const refKey = (ref: string) =>
  ref
    .trim()
    .replace(/^["']|["']$/g, '')
    .replace(/#.*$/, '')
    .toLowerCase()
    .replace(/\.(md|markdown|html)$/, '')
    .replace(/\/+$/, '')
    .replace(/\/(index|_index)$/, '')
    .replace(/^\/+/, '')
    .replace(/^(content|_posts|src)\//, '');

/** Eleventy's collection tags, which say where a file belongs rather than what it is about. */
const COLLECTION_TAGS = new Set(['post', 'posts']);

/**
 * The author's own summary: Hugo's `summary` (shown instead of the opening), Jekyll's `excerpt`
 * (overrides the derived one), else `description` (Hugo's and Eleventy's base blog's meta
 * description). Absent: undefined, so a re-import leaves a summary written here alone.
 */
function summaryOf(data: Record<string, unknown>): string | undefined {
  for (const key of ['summary', 'excerpt', 'description']) {
    const value = data[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  return undefined;
}

/**
 * A folder of Markdown files as Hugo, Jekyll and Eleventy keep them. Read from front matter:
 * title, date, draft / published: false, tags and categories, slug, aliases / redirect_from,
 * lastmod / updated, summary / excerpt / description (the summary); `type: page` or `layout: page` makes a page. Without a slug: Jekyll's
 * `YYYY-MM-DD-slug.md` name, a page bundle's folder (`slug/index.md`), or the file name.
 */
export function readMarkdownFolder(files: SourceFile[], source: string, rules: ReaderRules = NO_RULES): ImportBundle {
  const posts: ImportedPost[] = [];
  const pages: ImportedPage[] = [];
  const warnings: string[] = [];
  // Where each file lives here, for `ref`/`post_url` shortcodes that name another file.
  const addresses = new Map<string, string>();
  const resolve = (reference: string): string | undefined => {
    const key = refKey(reference);
    const hash = /#.*$/.exec(reference.trim().replace(/["']$/, ''))?.[0] ?? '';
    const to = addresses.get(key) ?? addresses.get(key.split('/').pop() ?? '');
    return to && to + hash;
  };
  const addressed = (file: SourceFile, slug: string, url: string, jekyllName: string | null) => {
    const key = refKey(file.path);
    for (const k of [key, key.split('/').pop()!, slug, jekyllName]) if (k && !addresses.has(k)) addresses.set(k, url);
  };
  const bodies: { item: ImportedPost | ImportedPage; body: string; firstLine: number; folder: string }[] = [];
  const assets = new ImportAssets(files.filter((f) => f.bytes && isImagePath(f.path)));
  const missing = new Set<string>();
  /**
   * An image the text shows, from the files given: beside the post (a page bundle), or at the
   * site's root as Hugo (`static/`) and Jekyll keep them; else the address stays and is reported.
   */
  const image = (url: string, folder: string): string => {
    if (/^([a-z][\w+.-]*:|\/\/|#)/i.test(url) || !isImagePath(url.split(/[?#]/)[0])) return url;
    const path = url.split(/[?#]/)[0];
    const m = path.startsWith('/')
      ? (assets.image(`static${path}`, rules.maxImageBytes) ?? assets.image(path.slice(1), rules.maxImageBytes))
      : assets.image(posix.normalize(posix.join(folder, path)), rules.maxImageBytes);
    if (!m) missing.add(path);
    return m ? mediaUrl(m) : url;
  };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    if (!isMarkdownFile(file.path)) continue;
    const name = basename(file.path);
    if (name.startsWith('_index.')) continue; // Hugo's section list pages
    const ref = file.path;
    const parsed = splitFrontMatter(file.text, source, ref);
    if (!parsed) {
      warnings.push(`${source}, ${ref}: no front matter, skipped.`);
      continue;
    }
    const { data, body } = parsed;
    const jekyll = /^(\d{4}-\d\d-\d\d)-(.+)\.(md|markdown)$/i.exec(name);
    const stem = name.replace(/\.(md|markdown)$/i, '');
    const fileSlug = jekyll ? jekyll[2] : stem === 'index' ? basename(dirname(file.path)) : stem;
    const title = str(data.title).trim();
    if (!title) throw new ImportError(source, ref, 'has no title in its front matter.');
    const draft = data.draft === true || data.published === false;
    const common = {
      ref,
      title,
      slug: str(data.slug) || fileSlug,
      markdown: '',
      status: draft ? ('draft' as const) : ('published' as const),
      summary: summaryOf(data),
      updatedAt: parseDateField(data.lastmod ?? data.updated ?? data.last_modified_at, source, ref, 'lastmod') ?? undefined,
    };
    // Lines before the body, so a shortcode's line is the file's, as an editor shows it.
    const firstLine = file.text.slice(0, file.text.length - body.length).split('\n').length;
    if (data.type === 'page' || data.layout === 'page') {
      const page = { ...common, navOrder: typeof data.weight === 'number' ? data.weight : null };
      pages.push(page);
      bodies.push({ item: page, body, firstLine, folder: dirname(file.path) });
      addressed(file, common.slug, pageUrl(slugify(common.slug) || slugify(title)), jekyll?.[2] ?? null);
      continue;
    }
    const date = parseDateField(data.date ?? jekyll?.[1], source, ref, 'date');
    const post = {
      ...common,
      publishedAt: date,
      createdAt: date ?? undefined,
      tags: [...list(data.tags), ...list(data.categories)].filter((t) => !COLLECTION_TAGS.has(t.toLowerCase())),
      redirects: [...list(data.aliases), ...list(data.redirect_from)].map(slugOfPath).filter(Boolean),
    };
    posts.push(post);
    bodies.push({ item: post, body, firstLine, folder: dirname(file.path) });
    addressed(
      file,
      common.slug,
      postUrl(slugify(common.slug) || slugify(title)),
      jekyll ? name.replace(/\.(md|markdown)$/i, '').toLowerCase() : null,
    );
  }
  for (const { item, body, firstLine, folder } of bodies) {
    item.markdown = convertShortcodes(body.replace(/\r\n/g, '\n'), {
      resolve,
      leftOut: (line, shortcode) =>
        warnings.push(
          `${source}, ${item.ref}, line ${firstLine + line - 1}: ${shortcode} has no meaning here; left out of the page.`,
        ),
    })
      .trim()
      .replace(/(!\[[^\]]*\]\()([^)\s]+)/g, (_, open: string, url: string) => open + image(url, folder));
  }
  if (missing.size && assets.size)
    warnings.push(
      `${source}: ${missing.size} images were not among the files given and keep their addresses: ${[...missing].slice(0, 10).join(', ')}.`,
    );
  if (posts.length + pages.length === 0) throw new ImportError(source, null, 'no Markdown file with front matter was found.');
  return { format: 'markdown', source, tags: [], media: assets.media, pages, posts, warnings };
}
