import { createHash } from 'node:crypto';

import { MEDIA_PREFIX_PATTERN } from '../urls.js';
import { CARD_COLOURS, CARD_TEMPLATE_VERSION } from './card-template.js';

const hash = (value: unknown, length: number) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);

/**
 * What a post's card is made from, as `<site key>:<post key>`. The site key covers what every card
 * shares (template, colours, site name, language): when it changes, every card is stale, which
 * one SQL `like` finds (social-cards.service.ts). The post key covers the post's own inputs.
 */
export function siteKey(site: { title: string; language: string }): string {
  return hash([CARD_TEMPLATE_VERSION, CARD_COLOURS, site.title, site.language], 16);
}

export function cardSource(site: string, post: { title: string; publishedAt: Date | null; featureId: number | null }): string {
  return `${site}:${hash([post.title, post.publishedAt?.toISOString().slice(0, 10) ?? null, post.featureId], 40)}`;
}

/** A Markdown image (`![alt](`) whose address starts with `/media/:id/`. */
const FIRST_UPLOADED_IMAGE = new RegExp(String.raw`!\[[^\]]*\]\(\s*` + MEDIA_PREFIX_PATTERN);

/** The post's feature image: the first uploaded image it shows (how imports keep Ghost's and WordPress's). */
export function featureImageId(markdown: string): number | null {
  const match = FIRST_UPLOADED_IMAGE.exec(markdown);
  return match ? Number(match[1]) : null;
}
