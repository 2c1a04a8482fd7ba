import { isValidSlug, slugify, uniqueSlug } from './slug.js';

describe('slugify', () => {
  it.each([
    ['Hello, World!', 'hello-world'],
    ['Café déjà vu', 'cafe-deja-vu'],
    ['Привет, мир', 'привет-мир'],
    ['日本語のブログ', '日本語のブログ'],
    ['  --Spaces   and ___ dashes--  ', 'spaces-and-dashes'],
    ['Ünïcödé 2026', 'unicode-2026'],
    ['!!!', ''],
  ])('%s → %s', (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });

  it('caps the length without a trailing dash', () => {
    const slug = slugify('word '.repeat(40));
    expect(Array.from(slug).length).toBeLessThanOrEqual(80);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('accepts only slugs it would produce itself', () => {
    expect(isValidSlug('hello-world')).toBe(true);
    expect(isValidSlug('Hello')).toBe(false);
    expect(isValidSlug('a/b')).toBe(false);
    expect(isValidSlug('')).toBe(false);
  });
});

describe('uniqueSlug', () => {
  it('appends -2, -3… on collisions', async () => {
    const taken = new Set(['post', 'post-2']);
    expect(await uniqueSlug('post', async (s) => taken.has(s))).toBe('post-3');
    expect(await uniqueSlug('fresh', async (s) => taken.has(s))).toBe('fresh');
    expect(await uniqueSlug('', async () => false)).toBe('untitled');
  });
});
