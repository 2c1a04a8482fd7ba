import { POST_STATUSES, type PostStatus } from '../entities/index.js';
import { type ImportBundle, ImportError, isRecord, parseDateField, str } from './bundle.js';
import { EXPORT_FORMAT, EXPORT_VERSION } from './format.js';

export const isInkstoneExport = (doc: unknown): doc is Record<string, unknown> => isRecord(doc) && doc.format === EXPORT_FORMAT;

/** Reads our own export (format.ts) back; refuses a version this code does not know. */
export function readInkstoneExport(doc: Record<string, unknown>, source: string): ImportBundle {
  if (doc.version !== EXPORT_VERSION) {
    throw new ImportError(
      source,
      null,
      `this is an Inkstone export of version ${JSON.stringify(doc.version)}; this blog reads version ${EXPORT_VERSION}.`,
    );
  }
  const list = (name: string): Record<string, unknown>[] => {
    const value = doc[name] ?? [];
    if (!Array.isArray(value) || !value.every(isRecord))
      throw new ImportError(source, null, `"${name}" must be a list of records.`);
    return value;
  };
  const status = (v: unknown, ref: string): PostStatus => {
    if (!POST_STATUSES.includes(v as PostStatus)) throw new ImportError(source, ref, `status must be draft or published.`);
    return v as PostStatus;
  };
  const date = (v: unknown, ref: string, field: string) => parseDateField(v, source, ref, field) ?? undefined;
  const ref = (kind: string, i: number, r: Record<string, unknown>) =>
    `${kind} ${i + 1} (${str(r.slug) || str(r.filename) || 'no slug'})`;

  return {
    format: 'inkstone',
    source,
    settings: isRecord(doc.settings) ? doc.settings : undefined,
    tags: list('tags').map((t) => ({ name: str(t.name), slug: str(t.slug) })),
    media: list('media').map((m, i) => {
      const r = ref('media', i, m);
      if (!Number.isInteger(m.id) || typeof m.data !== 'string') throw new ImportError(source, r, 'needs an id and base64 data.');
      return {
        ref: r,
        id: m.id as number,
        filename: str(m.filename),
        contentType: str(m.contentType),
        sha256: str(m.sha256),
        width: typeof m.width === 'number' ? m.width : null,
        height: typeof m.height === 'number' ? m.height : null,
        createdAt: date(m.createdAt, r, 'createdAt') ?? new Date(),
        data: Buffer.from(m.data, 'base64'),
      };
    }),
    pages: list('pages').map((p, i) => {
      const r = ref('page', i, p);
      return {
        ref: r,
        title: str(p.title),
        slug: str(p.slug),
        markdown: str(p.markdown),
        status: status(p.status, r),
        navOrder: typeof p.navOrder === 'number' ? p.navOrder : null,
        summary: summaryOf(p),
        createdAt: date(p.createdAt, r, 'createdAt'),
        updatedAt: date(p.updatedAt, r, 'updatedAt'),
      };
    }),
    posts: list('posts').map((p, i) => {
      const r = ref('post', i, p);
      const names = (v: unknown) => (Array.isArray(v) ? v.map(str).filter(Boolean) : []);
      return {
        ref: r,
        title: str(p.title),
        slug: str(p.slug),
        markdown: str(p.markdown),
        status: status(p.status, r),
        publishedAt: parseDateField(p.publishedAt, source, r, 'publishedAt'),
        createdAt: date(p.createdAt, r, 'createdAt'),
        updatedAt: date(p.updatedAt, r, 'updatedAt'),
        tags: names(p.tags),
        redirects: names(p.redirects),
        summary: summaryOf(p),
        revisions: (Array.isArray(p.revisions) ? p.revisions.filter(isRecord) : []).map((rev) => ({
          title: str(rev.title),
          markdown: str(rev.markdown),
          createdAt: date(rev.createdAt, r, 'a revision date') ?? new Date(),
        })),
      };
    }),
    warnings: [],
    oldAddresses: list('redirects').map((r) => ({ from: str(r.from), to: str(r.to) })),
  };
}

/** Files written before summaries existed have none: undefined leaves the record's as it is. */
const summaryOf = (r: Record<string, unknown>): string | undefined => (typeof r.summary === 'string' ? r.summary : undefined);
