import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type CardFontFile, type CardManifest } from './card-options.js';
import { CARD_HEIGHT, CARD_WIDTH, type CardContent, cardElement } from './card-template.js';

/** satori's font entry (its type, without importing satori eagerly). */
interface SatoriFont {
  name: string;
  data: Buffer;
  weight: 400 | 700;
  style: 'normal';
}

/** What a render needs, loaded once per folder: satori, resvg and the card's fonts. */
interface Engine {
  svg(card: CardContent): Promise<string>;
  png(svg: string): Buffer;
}

const engines = new Map<string, Promise<Engine>>();

/**
 * Twemoji names its files by code points joined with `-`, without U+FE0F (emoji presentation)
 * unless the sequence has a zero-width joiner.
 */
export function twemojiName(segment: string): string {
  const text = segment.includes('\u200d') ? segment : segment.replace(/\uFE0F/g, '');
  return [...text].map((c) => c.codePointAt(0)!.toString(16)).join('-');
}

const covers = (font: CardFontFile, cp: number) => font.ranges.some(([from, to]) => cp >= from && cp <= to);

async function loadEngine(dir: string): Promise<Engine> {
  // Loaded on the first card only: readers never pay for them (satori is ~1.6 MB of JS + WASM).
  const [{ default: satori }, { Resvg }] = await Promise.all([import('satori'), import('@resvg/resvg-js')]);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CardManifest;
  const files = new Map<string, Promise<Buffer>>();
  /**
   * `name`: satori keeps one font per name and weight (the first added), across renders too (it
   * caches its font list by our `fonts` array), so fallback files, which are subsets of one family,
   * each get a name of their own (their file): under the family's name only the first subset
   * loaded would ever draw, and every other character of that family became a box.
   */
  const font = (f: CardFontFile, name = f.name): Promise<SatoriFont> => {
    let data = files.get(f.file);
    if (!data) {
      data = readFile(join(dir, f.file));
      data.catch(() => files.delete(f.file));
      files.set(f.file, data);
    }
    return data.then((d) => ({ name, data: d, weight: f.weight, style: 'normal' }));
  };
  const primary = await Promise.all(manifest.primary.map((f) => font(f)));

  /**
   * satori asks for what its loaded fonts lack, one run of text at a time: emoji as images
   * (Twemoji SVG, as a data URI), anything else as the fallback fonts covering its characters.
   */
  const additional = async (code: string, segment: string): Promise<string | SatoriFont[]> => {
    if (code === 'emoji') {
      const svg = await readFile(join(dir, manifest.emojiDir, `${twemojiName(segment)}.svg`)).catch(() => null);
      return svg ? `data:image/svg+xml;base64,${svg.toString('base64')}` : '';
    }
    const needed = new Set<CardFontFile>();
    for (const ch of segment) {
      const cp = ch.codePointAt(0)!;
      for (const f of manifest.fallbacks) if (covers(f, cp)) needed.add(f);
    }
    return Promise.all([...needed].map((f) => font(f, f.file)));
  };

  return {
    svg: (card) =>
      satori(cardElement(card) as unknown as Parameters<typeof satori>[0], {
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        fonts: primary,
        loadAdditionalAsset: additional,
      }),
    png: (svg) => new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render().asPng(),
  };
}

/** The card as a 1200×630 PNG. Fonts and emoji come from `assetsDir` only (no network, no system fonts). */
export async function renderCard(card: CardContent, assetsDir: string): Promise<Buffer> {
  let engine = engines.get(assetsDir);
  if (!engine) {
    engine = loadEngine(assetsDir);
    engine.catch(() => engines.delete(assetsDir));
    engines.set(assetsDir, engine);
  }
  const { svg, png } = await engine;
  return png(await svg(card));
}
