import type { PostStatus } from '../entities/index.js';
import type { SiteSettings } from '../settings.service.js';
import { type ImportBundle, type ImportedPage, type ImportedPost, ImportError, isRecord, parseDateField, str } from './bundle.js';
import { lexicalToMarkdown, mobiledocToMarkdown } from './ghost-content.js';
import { htmlToMarkdown } from './html-to-markdown.js';

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

export function readGhostExport(doc: unknown, source: string): ImportBundle {
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

  const posts: ImportedPost[] = [];
  const pages: ImportedPage[] = [];
  let externalImages = false;
  rows('posts').forEach((p, i) => {
    const ref = `post ${i + 1} (${str(p.slug) || str(p.title) || 'no slug'})`;
    const markdown = body(p, source, ref);
    if (markdown.includes('__GHOST_URL__') || /\/content\/images\//.test(markdown)) externalImages = true;
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
  if (externalImages) {
    warnings.push(
      `${source}: images stay at their Ghost addresses (/content/images/…); upload them in Media and update the links to keep them.`,
    );
  }
  return { format: 'ghost', source, settings, tags: [], media: [], pages, posts, warnings };
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
