import type { PostStatus } from '../entities/index.js';
import { ContentValidationError } from '../errors.js';
import type { SiteSettings } from '../settings.service.js';

/**
 * What every import format is read into before anything is written: the importer only knows
 * this shape. `ref` names the record in messages ("post 3 (hello-world)", "posts/hello.md").
 */
export interface ImportedPost {
  ref: string;
  title: string;
  slug: string;
  markdown: string;
  status: PostStatus;
  publishedAt: Date | null;
  createdAt?: Date;
  updatedAt?: Date;
  tags: string[];
  redirects: string[];
  /** The author's own summary (plain text); absent: the source has none to say, the record keeps its own. */
  summary?: string;
  /** Only our own format carries history; other sources get one revision per change. */
  revisions?: { title: string; markdown: string; createdAt: Date }[];
}

export interface ImportedPage {
  ref: string;
  title: string;
  slug: string;
  markdown: string;
  status: PostStatus;
  navOrder: number | null;
  /** As ImportedPost.summary. */
  summary?: string;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface ImportedMedia {
  ref: string;
  id: number;
  filename: string;
  contentType: string;
  sha256: string;
  width: number | null;
  height: number | null;
  createdAt: Date;
  data: Buffer;
}

export type ImportFormat = 'inkstone' | 'ghost' | 'markdown' | 'wordpress';

export interface ImportBundle {
  format: ImportFormat;
  /** The file or folder name, for messages. */
  source: string;
  settings?: Partial<SiteSettings>;
  tags: { name: string; slug: string }[];
  media: ImportedMedia[];
  pages: ImportedPage[];
  posts: ImportedPost[];
  /** Things read but not carried over, said to the author rather than dropped silently. */
  warnings: string[];
  /**
   * The old blog's addresses (permalinks, `?p=ID`, category, tag and feed addresses) and where
   * each lives now: written to the redirect table, answered 301 wherever no route answers.
   */
  oldAddresses?: { from: string; to: string }[];
}

/**
 * The blog's own rules a reader needs, handed in by the caller: the readers are loaded lazily,
 * and importing the services that own these rules would pull decorated classes into the lazy
 * chunk (esbuild then shares them in a chunk that runs before reflect-metadata is loaded).
 */
export interface ReaderRules {
  /** The largest image the media library takes (MAX_UPLOAD_BYTES). */
  maxImageBytes: number;
  /** First path segments pages may not take (RESERVED_PAGE_SLUGS). */
  reservedPageSlugs: ReadonlySet<string>;
}

/** Without the blog's rules (unit tests of other parts): no size bound, no reserved slug. */
export const NO_RULES: ReaderRules = { maxImageBytes: Number.POSITIVE_INFINITY, reservedPageSlugs: new Set() };

/** A file the importer refuses; the message names the file and, when there is one, the record. */
export class ImportError extends ContentValidationError {
  constructor(
    readonly source: string,
    readonly record: string | null,
    detail: string,
  ) {
    super(`${source}${record ? `, ${record}` : ''}: ${detail}`, 'file');
  }
}

/** A date from a source file, or an ImportError naming it. */
export function parseDateField(value: unknown, source: string, ref: string, field: string): Date | null {
  if (value === null || value === undefined || value === '') return null;
  // A date and time without an offset is read as UTC, not as wherever the import happens to run.
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value.trim())) {
    value = `${value.trim().replace(' ', 'T')}Z`;
  }
  const date =
    value instanceof Date
      ? new Date(value.getTime())
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime())) throw new ImportError(source, ref, `${field} "${String(value)}" is not a date.`);
  return date;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
