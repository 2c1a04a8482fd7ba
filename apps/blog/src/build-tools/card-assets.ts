/**
 * `npm run build`'s step for social cards: copies the fonts and emoji the card renderer needs
 * (libs/content/src/social-card/) from their npm packages (dev dependencies, pinned) into
 * dist/card-assets/, with a manifest of which file covers which code points.
 *
 * Why a copy and not the packages at run time: the packages ship every weight in two formats
 * (Noto Sans SC alone is 76 MB); the card uses one or two weights of WOFF (satori reads
 * TTF/OTF/WOFF), ~5 MB of fonts and ~8 MB of Twemoji SVGs. The image's `npm prune --omit=dev` drops the packages
 * and dist/ carries the copy. Nothing is fetched at run time.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { CardFontFile, CardManifest } from '@app/content';

import { CARD_ASSETS_DIR } from '../paths.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** `U+0600-06FF,U+0750` → [[0x600, 0x6ff], [0x750, 0x750]] (fontsource's unicode.json). */
function parseRanges(text: string): [number, number][] {
  return text.split(',').map((part) => {
    const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
    return [parseInt(from, 16), parseInt(to ?? from, 16)];
  });
}

interface Family {
  pkg: string;
  /** Font name given to satori. */
  name: string;
  /** fontsource's file stem, e.g. `noto-sans-sc`. */
  stem: string;
  weights: (400 | 700)[];
  /** Subsets (unicode.json keys, e.g. `latin`, `[4]`); all when absent. */
  subsets?: string[];
  /** Only the subsets that cover some of these code points (Noto Sans KR: its Hangul ones). */
  covering?: [number, number][];
}

/** Hangul: Jamo, compatibility Jamo, extended Jamo A and B, syllables. */
const HANGUL: [number, number][] = [
  [0x1100, 0x11ff],
  [0x3130, 0x318f],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xd7b0, 0xd7ff],
];

const PRIMARY: Family = {
  pkg: '@fontsource/noto-serif',
  name: 'Noto Serif',
  stem: 'noto-serif',
  weights: [400, 700],
  subsets: ['latin'],
};
/**
 * Fallbacks, in order: the rest of Noto Serif, Chinese (and Japanese kana), Korean, Arabic, then
 * Devanagari, Bengali and Tamil. One weight each (the title's bold). Noto Sans KR only for
 * Hangul: its Hanja subsets repeat what Noto Sans SC has (1.3 MB of its 3.4 MB at 700).
 */
const FALLBACKS: Family[] = [
  {
    pkg: '@fontsource/noto-serif',
    name: 'Noto Serif',
    stem: 'noto-serif',
    weights: [400, 700],
    subsets: ['latin-ext', 'vietnamese', 'cyrillic', 'cyrillic-ext', 'greek', 'greek-ext'],
  },
  { pkg: '@fontsource/noto-sans-sc', name: 'Noto Sans SC', stem: 'noto-sans-sc', weights: [700] },
  { pkg: '@fontsource/noto-sans-kr', name: 'Noto Sans KR', stem: 'noto-sans-kr', weights: [700], covering: HANGUL },
  {
    pkg: '@fontsource/noto-sans-arabic',
    name: 'Noto Sans Arabic',
    stem: 'noto-sans-arabic',
    weights: [700],
    subsets: ['arabic'],
  },
  {
    pkg: '@fontsource/noto-sans-devanagari',
    name: 'Noto Sans Devanagari',
    stem: 'noto-sans-devanagari',
    weights: [700],
    subsets: ['devanagari'],
  },
  {
    pkg: '@fontsource/noto-sans-bengali',
    name: 'Noto Sans Bengali',
    stem: 'noto-sans-bengali',
    weights: [700],
    subsets: ['bengali'],
  },
  { pkg: '@fontsource/noto-sans-tamil', name: 'Noto Sans Tamil', stem: 'noto-sans-tamil', weights: [700], subsets: ['tamil'] },
];

const overlaps = (ranges: [number, number][], wanted: [number, number][]) =>
  ranges.some(([from, to]) => wanted.some(([a, b]) => from <= b && to >= a));

function copyFamily(family: Family, out: string): CardFontFile[] {
  const dir = packageDir(family.pkg);
  const unicode = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>;
  const files: CardFontFile[] = [];
  for (const [subset, ranges] of Object.entries(unicode)) {
    if (family.subsets && !family.subsets.includes(subset)) continue;
    if (family.covering && !overlaps(parseRanges(ranges), family.covering)) continue;
    const id = subset.replace(/^\[(\d+)\]$/, '$1');
    for (const weight of family.weights) {
      const file = `${family.stem}-${id}-${weight}-normal.woff`;
      copyFileSync(join(dir, 'files', file), join(out, 'fonts', file));
      files.push({ file: `fonts/${file}`, name: family.name, weight, ranges: parseRanges(ranges) });
    }
  }
  return files;
}

function buildCardAssets(out: string): CardManifest {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'fonts'), { recursive: true });
  const emoji = join(out, 'twemoji');
  mkdirSync(emoji);
  const twemoji = packageDir('@twemoji/svg');
  let emojiCount = 0;
  for (const name of readdirSync(twemoji)) {
    if (!name.endsWith('.svg')) continue;
    copyFileSync(join(twemoji, name), join(emoji, name));
    emojiCount++;
  }
  const manifest: CardManifest = {
    primary: copyFamily(PRIMARY, out),
    fallbacks: FALLBACKS.flatMap((f) => copyFamily(f, out)),
    emojiDir: 'twemoji',
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
  console.log(
    `Card assets: ${manifest.primary.length + manifest.fallbacks.length} font files and ${emojiCount} emoji in dist/card-assets`,
  );
  return manifest;
}

buildCardAssets(CARD_ASSETS_DIR);
