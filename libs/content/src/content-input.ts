import { POST_STATUSES, type PostStatus } from './entities/index.js';
import { ContentValidationError } from './errors.js';
import { isValidSlug, slugify } from './slug.js';
import { cleanText } from './text.js';

/** What the author submits for a post or a page, already parsed from the form. */
export interface ContentInput {
  title: string;
  markdown: string;
  /** Empty: derived from the title. */
  slug?: string;
  status?: PostStatus;
  /** Null or absent with status=published: now. In the future: scheduled. */
  publishedAt?: Date | null;
  tags?: string[];
  navOrder?: number | null;
  /** The author's own summary, plain text. Empty: none (the excerpt is derived); absent: keep the record's. */
  summary?: string;
  /** Posts: the address of an uploaded image for the social card; empty: the generated card; absent: unchanged. */
  cardImage?: string;
}

export const LIMITS = { title: 300, markdown: 500_000, tags: 30, tagName: 60, summary: 1000 } as const;

export interface ValidInput extends Required<Omit<ContentInput, 'slug' | 'navOrder' | 'summary' | 'cardImage'>> {
  slug: string | null;
  navOrder: number | null;
  /** Undefined: keep the record's summary. */
  summary: string | undefined;
}

/** A summary as stored: plain text on one line (it is shown in one paragraph and one meta tag). */
export function normalizeSummary(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

export function validateInput(input: ContentInput): ValidInput {
  const title = cleanText(input.title ?? '').trim();
  if (!title) throw new ContentValidationError('A title is required.', 'title');
  if (title.length > LIMITS.title)
    throw new ContentValidationError(`The title is longer than ${LIMITS.title} characters.`, 'title');
  const markdown = cleanText(input.markdown ?? '');
  if (markdown.length > LIMITS.markdown) {
    throw new ContentValidationError(`The text is longer than ${LIMITS.markdown} characters.`, 'markdown');
  }
  const status = input.status ?? 'draft';
  if (!POST_STATUSES.includes(status)) throw new ContentValidationError('Status must be draft or published.', 'status');
  const publishedAt = input.publishedAt ?? null;
  if (publishedAt && Number.isNaN(publishedAt.getTime())) {
    throw new ContentValidationError('The publication date is not a valid date.', 'publishedAt');
  }
  let slug: string | null = null;
  if (input.slug?.trim()) {
    slug = slugify(input.slug);
    if (!isValidSlug(slug)) throw new ContentValidationError('The slug needs at least one letter or digit.', 'slug');
  }
  const tags = [...new Set((input.tags ?? []).map((t) => cleanText(t).trim().replace(/\s+/g, ' ')).filter(Boolean))];
  if (tags.length > LIMITS.tags) throw new ContentValidationError(`At most ${LIMITS.tags} tags.`, 'tags');
  const longTag = tags.find((t) => t.length > LIMITS.tagName || !slugify(t));
  if (longTag !== undefined) throw new ContentValidationError(`The tag "${longTag}" is too long or has no letters.`, 'tags');
  const navOrder = input.navOrder ?? null;
  if (navOrder !== null && !Number.isInteger(navOrder))
    throw new ContentValidationError('Menu position must be a whole number.', 'navOrder');
  const summary = input.summary === undefined ? undefined : normalizeSummary(input.summary);
  if (summary && summary.length > LIMITS.summary)
    throw new ContentValidationError(`The summary is longer than ${LIMITS.summary} characters.`, 'summary');
  return { title, markdown, slug, status, publishedAt, tags, navOrder, summary };
}

/** Splits the form's comma-separated tags field. */
export function parseTagList(field: string | undefined): string[] {
  return (field ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}
