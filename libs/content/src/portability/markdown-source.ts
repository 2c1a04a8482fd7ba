import { basename, dirname } from 'node:path';

import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

import { isMarkdownFile, type SourceFile } from './source-file.js';

import { type ImportBundle, type ImportedPage, type ImportedPost, ImportError, isRecord, parseDateField, str } from './bundle.js';

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

/** Eleventy's collection tags, which say where a file belongs rather than what it is about. */
const COLLECTION_TAGS = new Set(['post', 'posts']);

/**
 * A folder of Markdown files as Hugo, Jekyll and Eleventy keep them. Read from front matter:
 * title, date, draft / published: false, tags and categories, slug, aliases / redirect_from,
 * lastmod / updated; `type: page` or `layout: page` makes a page. Without a slug: Jekyll's
 * `YYYY-MM-DD-slug.md` name, a page bundle's folder (`slug/index.md`), or the file name.
 */
export function readMarkdownFolder(files: SourceFile[], source: string): ImportBundle {
  const posts: ImportedPost[] = [];
  const pages: ImportedPage[] = [];
  const warnings: string[] = [];
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
      markdown: body.replace(/\r\n/g, '\n').trim(),
      status: draft ? ('draft' as const) : ('published' as const),
      updatedAt: parseDateField(data.lastmod ?? data.updated ?? data.last_modified_at, source, ref, 'lastmod') ?? undefined,
    };
    if (data.type === 'page' || data.layout === 'page') {
      pages.push({ ...common, navOrder: typeof data.weight === 'number' ? data.weight : null });
      continue;
    }
    const date = parseDateField(data.date ?? jekyll?.[1], source, ref, 'date');
    posts.push({
      ...common,
      publishedAt: date,
      createdAt: date ?? undefined,
      tags: [...list(data.tags), ...list(data.categories)].filter((t) => !COLLECTION_TAGS.has(t.toLowerCase())),
      redirects: [...list(data.aliases), ...list(data.redirect_from)].map(slugOfPath).filter(Boolean),
    });
  }
  if (posts.length + pages.length === 0) throw new ImportError(source, null, 'no Markdown file with front matter was found.');
  return { format: 'markdown', source, tags: [], media: [], pages, posts, warnings };
}
