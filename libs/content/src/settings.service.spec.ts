import { ContentValidationError } from './errors.js';
import { DEFAULT_SETTINGS, validateSettings } from './settings.service.js';
import type { SiteSettings } from './settings.service.js';

const valid: SiteSettings = { ...DEFAULT_SETTINGS, title: 'Harbour notes' };
const refusal = (patch: Partial<SiteSettings>) => {
  try {
    validateSettings({ ...valid, ...patch });
  } catch (err) {
    if (err instanceof ContentValidationError) return err.field;
    throw err;
  }
  return null;
};

describe('validateSettings', () => {
  it('trims text, keeps good links and defaults the language', () => {
    const out = validateSettings({
      ...valid,
      title: '  Harbour notes ',
      language: '',
      navLinks: [
        { label: ' About ', url: '/about' },
        { label: 'Mail', url: 'mailto:me@example.org' },
        { label: 'Elsewhere', url: 'https://example.org/x' },
      ],
    });
    expect(out.title).toBe('Harbour notes');
    expect(out.language).toBe('en');
    expect(out.navLinks).toEqual([
      { label: 'About', url: '/about' },
      { label: 'Mail', url: 'mailto:me@example.org' },
      { label: 'Elsewhere', url: 'https://example.org/x' },
    ]);
  });

  it('names the field of each refusal', () => {
    expect(refusal({ title: '   ' })).toBe('title');
    expect(refusal({ title: 'x'.repeat(201) })).toBe('title');
    expect(refusal({ postsPerPage: 0 })).toBe('postsPerPage');
    expect(refusal({ postsPerPage: 2.5 })).toBe('postsPerPage');
    expect(refusal({ postsPerPage: 101 })).toBe('postsPerPage');
    expect(refusal({ language: 'english!' })).toBe('language');
    expect(refusal({ description: 'x'.repeat(501) })).toBe('description');
  });

  it('refuses links a browser could take off the site or run', () => {
    for (const url of ['javascript:alert(1)', '//evil.example', '/\\evil.example', '/\tevil', 'ftp://x', ''])
      expect(refusal({ navLinks: [{ label: 'x', url }] })).toBe('navLinks');
    expect(refusal({ socialLinks: [{ label: '', url: '/ok' }] })).toBe('socialLinks');
  });

  it('keeps at most 20 links', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ label: `L${i}`, url: `/p${i}` }));
    expect(validateSettings({ ...valid, navLinks: many }).navLinks).toHaveLength(20);
  });
});
