import type { HelperDelegate } from 'handlebars';

import { staticAssets } from '../common/static-assets.js';

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function formatter(lang: string): Intl.DateTimeFormat {
  let f = dateFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
    dateFormats.set(lang, f);
  }
  return f;
}

/** Every helper the templates may use. Output is escaped by Handlebars unless stated. */
export const helpers: Record<string, HelperDelegate> = {
  eq: (a: unknown, b: unknown) => a === b,
  /** "25 November 2026" in the site's language. */
  date: (value: Date | string | null | undefined, options: { data?: { root?: { site?: { language?: string } } } }) => {
    if (!value) return '';
    const lang = options?.data?.root?.site?.language ?? 'en';
    try {
      return formatter(lang).format(new Date(value));
    } catch {
      return formatter('en').format(new Date(value));
    }
  },
  isoDate: (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : ''),
  plural: (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`,
  /** A theme file's fingerprinted URL: `{{asset 'css/site.css'}}`. */
  asset: (path: string) => staticAssets.url(path),
};
