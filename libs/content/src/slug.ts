/**
 * URL slugs that keep letters of every script: "Café déjà vu" → "cafe-deja-vu",
 * "Привет, мир" → "привет-мир", "日本語のブログ" → "日本語のブログ". Transliterating
 * libraries drop scripts they do not know, which leaves CJK titles with empty slugs.
 */
const MAX_SLUG_LENGTH = 80;

export function slugify(input: string): string {
  const slug = input
    // Accents come off Latin letters only (é → e); other scripts keep their marks (ブ stays ブ).
    .normalize('NFKD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return truncate(slug, MAX_SLUG_LENGTH);
}

function truncate(slug: string, max: number): string {
  const chars = Array.from(slug);
  if (chars.length <= max) return slug;
  return chars.slice(0, max).join('').replace(/-+$/, '');
}

/** A valid stored slug: what slugify would leave unchanged. */
export function isValidSlug(slug: string): boolean {
  return slug.length > 0 && slugify(slug) === slug;
}

/** "title", then "title-2", "title-3"… until `taken` says no. */
export async function uniqueSlug(base: string, taken: (candidate: string) => Promise<boolean>): Promise<string> {
  const root = base || 'untitled';
  if (!(await taken(root))) return root;
  for (let n = 2; ; n++) {
    const candidate = `${truncate(root, MAX_SLUG_LENGTH - String(n).length - 1)}-${n}`;
    if (!(await taken(candidate))) return candidate;
  }
}
