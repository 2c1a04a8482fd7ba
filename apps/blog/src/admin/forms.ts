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
    // Absent (a client that predates the field): the record keeps its summary; empty clears it.
    summary: typeof body?.summary === 'string' ? body.summary.replace(/\r\n/g, '\n') : undefined,
    // Only the post form has it; absent: the post's replacement card stays as it is.
    cardImage: typeof body?.cardImage === 'string' ? body.cardImage : undefined,
  };
}

/** A Date as the value of a datetime-local input, in UTC. */
export function toDateInput(date: Date | null | undefined): string {
  return date ? date.toISOString().slice(0, 16) : '';
}
