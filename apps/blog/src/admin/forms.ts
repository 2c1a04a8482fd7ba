import { type ContentInput, parseTagList, type PostStatus } from '@app/content';

/** A urlencoded form body: every field a string, or absent. */
export type FormBody = Record<string, unknown>;

export const field = (body: FormBody, name: string): string => {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
};

/** The named fields of a form, each as a string: what a form shows back when a save is refused. */
export function fields<K extends string>(body: FormBody, names: readonly K[]): Record<K, string> {
  return Object.fromEntries(names.map((name) => [name, field(body, name)])) as Record<K, string>;
}

/**
 * `publishedAt` from a datetime-local input ("2026-11-25T10:30", read as UTC, as the form says)
 * or any ISO date with an offset. Empty means "not set".
 */
export function parseDate(raw: string): Date | null {
  const value = raw.trim();
  if (!value) return null;
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  return new Date(iso); // an invalid date is reported by the content library's validation
}

/** The post and page forms (DESIGN.md's field names) as content input. */
export function contentInput(body: FormBody): ContentInput {
  const status = field(body, 'status');
  const navOrder = field(body, 'navOrder').trim();
  return {
    title: field(body, 'title'),
    slug: field(body, 'slug'),
    markdown: field(body, 'markdown').replace(/\r\n/g, '\n'),
    status: (status || 'draft') as PostStatus,
    publishedAt: parseDate(field(body, 'publishedAt')),
    tags: parseTagList(field(body, 'tags')),
    navOrder: navOrder === '' ? null : Number(navOrder),
  };
}

/** A Date as the value of a datetime-local input, in UTC. */
export function toDateInput(date: Date | null | undefined): string {
  return date ? date.toISOString().slice(0, 16) : '';
}

/** Messages shown after a redirect, by key: no text from the URL is ever echoed. */
const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  published: 'Published: it is live on the site.',
  scheduled: 'Scheduled: it will appear at its publication time.',
  deleted: 'Deleted.',
  restored: 'Revision restored (as a new revision).',
  uploaded: 'Image uploaded.',
  'logged-out': 'You are logged out.',
  renamed: 'Tag renamed.',
  merged: 'Tags merged.',
};

export function notice(key: unknown): string | null {
  return typeof key === 'string' ? (NOTICES[key] ?? null) : null;
}

/** What the author is told about replication after a save (see ReplicatedSaveMiddleware). */
export function replicationNotice(outcome: unknown): { text: string; warning: boolean } | null {
  if (outcome === 'replicated') return { text: 'Replicated to the backup bucket.', warning: false };
  if (outcome === 'pending') {
    return { text: 'Saved on the server, not yet confirmed in the backup bucket; it will sync shortly.', warning: true };
  }
  return null;
}

/** Which notice a post save earns. */
export function saveNotice(status: PostStatus, publishedAt: Date | null, now: Date): string {
  if (status !== 'published') return 'saved';
  return publishedAt && publishedAt > now ? 'scheduled' : 'published';
}
