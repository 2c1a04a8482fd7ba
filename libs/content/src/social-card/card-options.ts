/** One font file of the card's assets and the code points it covers (fontsource's subsets). */
export interface CardFontFile {
  /** Relative to the assets folder. */
  file: string;
  name: string;
  weight: 400 | 700;
  ranges: [number, number][];
}

/** dist/card-assets/manifest.json, written by the app's build (build-tools/card-assets.ts). */
export interface CardManifest {
  /** Always loaded: Latin. */
  primary: CardFontFile[];
  /** Loaded when a title needs them, in this order: other scripts, CJK, Hangul, Arabic, Indic. */
  fallbacks: CardFontFile[];
  /** Twemoji SVGs, named by code points (`1f469-200d-1f4bb.svg`). */
  emojiDir: string;
}

export interface SocialCardOptions {
  /** Where the fonts, emoji and manifest are (the app's dist/card-assets). */
  assetsDir: string;
  /** A render that takes longer is given up: the save goes on without a card. */
  timeoutMs: number;
}

/** Nest token for the SocialCardOptions the app provides. */
export const SOCIAL_CARD_OPTIONS = Symbol('SOCIAL_CARD_OPTIONS');
