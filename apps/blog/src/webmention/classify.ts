import type { MentionFacts } from '@app/content';

import { absoluteHttpUrl } from './html-links.js';

type Mf2 = typeof import('microformats-parser').mf2;
let parser: Promise<Mf2> | null = null;
/**
 * Loaded with the first mention, not at boot: microformats-parser and its parse5 are ~390 KB of
 * the bundle, which the boot would otherwise evaluate before its first reader for a rare request.
 */
const loadMf2 = (): Promise<Mf2> =>
  (parser ??= import('microformats-parser').then((m) => {
    // A CommonJS package: Node's own import names its exports, the bundle's gives them as default.
    const mod = m as typeof m & { default?: { mf2?: Mf2 } };
    const mf2 = mod.mf2 ?? mod.default?.mf2;
    if (typeof mf2 !== 'function') throw new Error('microformats-parser has no mf2 export');
    return mf2;
  }));

type Mf2Item = { type?: string[]; properties?: Record<string, unknown[]>; children?: Mf2Item[]; value?: unknown };

/** Text of an excerpt shown under a post, at most. */
export const EXCERPT_MAX = 500;

/**
 * What a verified source says about the target, from its microformats2 (microformats-parser):
 * the h-entry that points at the target (`in-reply-to` → reply, `repost-of` → repost, `like-of`
 * → like; otherwise the h-entry that links to it, else the first, a mention), its author (the h-card's name and url, or a
 * plain name) and its content as plain text, trimmed to EXCERPT_MAX. Only text is kept: the views
 * escape it, so nothing from the source is ever markup on the blog.
 */
export async function classifyMention(html: string, sourceUrl: string, target: string): Promise<MentionFacts> {
  const mf2 = await loadMf2();
  const want = absoluteHttpUrl(target, target);
  let parsed: { items: Mf2Item[] };
  try {
    parsed = mf2(html, { baseUrl: sourceUrl }) as { items: Mf2Item[] };
  } catch {
    return { kind: 'mention', authorName: null, authorUrl: null, authorPhoto: null, content: null };
  }
  const entries = [...walk(parsed.items)].filter((i) => i.type?.includes('h-entry'));
  const points = (item: Mf2Item, prop: string) =>
    (item.properties?.[prop] ?? []).some((v) => urlOf(v, sourceUrl) === want && want !== null);
  let kind: MentionFacts['kind'] = 'mention';
  // A page of several entries (a feed, a thread): the one whose properties carry the target's URL
  // (its content's links included) is the mention, not merely the first.
  let entry = (want && entries.find((e) => JSON.stringify(e.properties ?? {}).includes(want))) || entries[0];
  for (const [prop, k] of [
    ['in-reply-to', 'reply'],
    ['repost-of', 'repost'],
    ['like-of', 'like'],
  ] as const) {
    const hit = entries.find((e) => points(e, prop));
    if (hit) {
      kind = k;
      entry = hit;
      break;
    }
  }
  const author = entry?.properties?.author?.[0];
  const card = typeof author === 'object' && author !== null ? (author as Mf2Item) : undefined;
  const name = card ? text(card.properties?.name?.[0]) : text(author);
  const content = entry ? text(entry.properties?.content?.[0] ?? entry.properties?.summary?.[0]) : null;
  return {
    kind,
    authorName: name ? name.slice(0, 200) : null,
    authorUrl: card ? urlOf(card.properties?.url?.[0], sourceUrl) : null,
    authorPhoto: card ? urlOf(card.properties?.photo?.[0], sourceUrl) : null,
    content: kind === 'like' || kind === 'repost' || !content ? null : excerpt(content),
  };
}

function* walk(items: Mf2Item[]): Generator<Mf2Item> {
  for (const item of items) {
    yield item;
    if (item.children) yield* walk(item.children);
    for (const values of Object.values(item.properties ?? {}))
      for (const v of values) if (typeof v === 'object' && v !== null && 'type' in v) yield* walk([v as Mf2Item]);
  }
}

/** A property value as a URL: a string, an embedded h-cite/h-card's url, or a {value} (u-photo with alt). */
function urlOf(value: unknown, base: string): string | null {
  if (typeof value === 'string') return absoluteHttpUrl(value, base);
  if (typeof value === 'object' && value !== null) {
    const v = value as Mf2Item;
    const inner = v.properties?.url?.[0];
    if (typeof inner === 'string') return absoluteHttpUrl(inner, base);
    if (typeof v.value === 'string') return absoluteHttpUrl(v.value, base);
  }
  return null;
}

/** Plain text of a property value: a string, e-* content's `value`, or an item's `value`. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value.replace(CONTROLS, '').replace(/\s+/g, ' ').trim() || null;
  if (typeof value === 'object' && value !== null && 'value' in value) return text((value as { value: unknown }).value);
  return null;
}

/** C0 controls other than whitespace, and the non-characters a feed or SQL text cannot carry. */
// eslint-disable-next-line no-control-regex -- control characters are what is removed
const CONTROLS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\ufffe\uffff]/g;

function excerpt(s: string): string {
  return s.length <= EXCERPT_MAX ? s : `${s.slice(0, EXCERPT_MAX - 1).trimEnd()}…`;
}
