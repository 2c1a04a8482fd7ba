import type { SiteSettings } from '../settings.service.js';

/** The `format` and `version` of an Inkstone export; a reader refuses any other pair. */
export const EXPORT_FORMAT = 'inkstone';
export const EXPORT_VERSION = 1;

/**
 * The largest file an import reads. Checked against the file's size (CLI) or the request's
 * Content-Length (admin) before a byte is read: an import is parsed in memory, and the service
 * has 512 MiB.
 */
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;

export interface ExportedTag {
  slug: string;
  name: string;
}

export interface ExportedRevision {
  title: string;
  createdAt: string;
  markdown: string;
}

export interface ExportedPost {
  slug: string;
  title: string;
  status: string;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Tag names. */
  tags: string[];
  /** Old slugs that answer with a 301 to this post. */
  redirects: string[];
  /** The author's summary ('' = none). Absent from files written before it existed: such a file leaves summaries as they are. */
  summary?: string;
  markdown: string;
  revisions: ExportedRevision[];
}

export interface ExportedPage {
  slug: string;
  title: string;
  status: string;
  navOrder: number | null;
  createdAt: string;
  updatedAt: string;
  /** As ExportedPost.summary. */
  summary?: string;
  markdown: string;
}

/** An image with its bytes inline, base64: one self-contained file is the whole blog. */
export interface ExportedMedia {
  /** Kept so `/media/:id/…` links in the text still point at it after an import. */
  id: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  createdAt: string;
  data: string;
}

/** An old address and where it goes (the redirect table); absent from files written before it existed. */
export interface ExportedRedirect {
  from: string;
  to: string;
}

/** Version 1 of the export document, in the order its keys are written. */
export interface InkstoneExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  settings: SiteSettings;
  tags: ExportedTag[];
  media: ExportedMedia[];
  pages: ExportedPage[];
  posts: ExportedPost[];
  /** Optional: version 1 files written before the redirect table have none. */
  redirects?: ExportedRedirect[];
}
