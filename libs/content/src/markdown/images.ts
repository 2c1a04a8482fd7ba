import type { MarkdownIt } from 'markdown-it';

import type { RenditionInfo } from '../entities/index.js';
import { mediaIdOf, mediaUrl, renditionUrl } from '../urls.js';

/** What the renderer needs to know about an uploaded image to write its markup. */
export interface ImageFacts {
  id: number;
  filename: string;
  width: number | null;
  height: number | null;
  renditions: readonly RenditionInfo[];
}

export type ImageLookup = ReadonlyMap<number, ImageFacts>;

/** As RENDITION_SIZES (media/image-pipeline.ts): the viewport on phones, the 42rem column beyond. */
const SIZES = '(max-width: 42rem) 100vw, 42rem';
const FORMATS = ['avif', 'webp'] as const;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Images of this blog (`/media/:id/:name`) become a <picture>: AVIF and WebP renditions by width
 * (`srcset`/`sizes`, the browser picks), the original as the fallback <img> with its `width` and
 * `height` (no layout shift) and `decoding="async"`. The first image of a text may be in view when
 * the page opens: it loads at once; every later one is `loading="lazy"`. Other images keep
 * markdown-it's own markup (the sanitizer adds lazy loading).
 */
export function responsiveImages(md: MarkdownIt): void {
  const fallback = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, idx, options, rawEnv, self) => {
    const env = (rawEnv ?? {}) as { images?: ImageLookup; imagesSeen?: number };
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const id = mediaIdOf(src);
    const facts = id === null ? undefined : env.images?.get(id);
    if (!facts) return fallback(tokens, idx, options, env, self);
    const first = (env.imagesSeen = (env.imagesSeen ?? 0) + 1) === 1;
    const alt = self.renderInlineAsText(token.children ?? [], options, env);
    const title = String(token.attrGet('title') ?? '');
    const sources = FORMATS.map((format) => {
      const set = facts.renditions
        .filter((r) => r.format === format)
        .sort((a, b) => a.width - b.width)
        .map((r) => `${renditionUrl(facts, r)} ${r.width}w`);
      return set.length ? `<source type="image/${format}" srcset="${escape(set.join(', '))}" sizes="${SIZES}">` : '';
    }).join('');
    const size = facts.width && facts.height ? ` width="${facts.width}" height="${facts.height}"` : '';
    const img =
      `<img src="${escape(mediaUrl(facts))}" alt="${escape(alt)}"` +
      `${title ? ` title="${escape(title)}"` : ''}${size} loading="${first ? 'eager' : 'lazy'}" decoding="async">`;
    return sources ? `<picture>${sources}${img}</picture>` : img;
  };
}
