import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import { Setting } from './entities/index.js';
import { ContentValidationError } from './errors.js';
import { cleanText } from './text.js';
import type { NavItem } from './pages.service.js';

export interface SiteSettings {
  title: string;
  description: string;
  authorName: string;
  authorBio: string;
  navLinks: NavItem[];
  socialLinks: NavItem[];
  postsPerPage: number;
  /** BCP 47 tag for <html lang> and feeds. */
  language: string;
}

export const DEFAULT_SETTINGS: Readonly<SiteSettings> = Object.freeze({
  title: 'Inkstone',
  description: 'A small, fast blog.',
  authorName: 'The Author',
  authorBio: '',
  navLinks: [],
  socialLinks: [],
  postsPerPage: 10,
  language: 'en',
});

const KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof SiteSettings)[];

/**
 * Site settings, read on nearly every request, so kept in memory and reloaded only after a
 * write (one instance: the copy cannot go stale behind our back).
 */
@Injectable()
export class SettingsService {
  private cached: Promise<SiteSettings> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
  ) {
    // Settings can also change outside update() (an import): any announced change drops the copy.
    events.onChange((change) => {
      if (change === 'setting') this.cached = null;
    });
  }

  get(): Promise<SiteSettings> {
    this.cached ??= this.load().catch((err: unknown) => {
      this.cached = null;
      throw err;
    });
    return this.cached;
  }

  async update(changes: Partial<SiteSettings>): Promise<SiteSettings> {
    const next = validateSettings({ ...(await this.get()), ...changes });
    await this.em.transactional(async (em) => {
      for (const key of KEYS) await em.upsert(Setting, new Setting(key, next[key]));
    });
    this.cached = null;
    this.events.changed('setting');
    return this.get();
  }

  /** A flag stored beside the settings (e.g. that demo content was created once). */
  async flag(key: string): Promise<boolean> {
    return (await this.em.findOne(Setting, { key: `flag:${key}` })) !== null;
  }

  async setFlag(key: string): Promise<void> {
    await this.em.upsert(Setting, new Setting(`flag:${key}`, true));
  }

  private async load(): Promise<SiteSettings> {
    const rows = await this.em.find(Setting, { key: { $in: KEYS } });
    const stored: Record<string, unknown> = {};
    for (const row of rows) {
      try {
        stored[row.key] = JSON.parse(row.value);
      } catch {
        // A hand-edited, unreadable value falls back to the default rather than taking the site down.
      }
    }
    return { ...DEFAULT_SETTINGS, ...pickValid(stored) };
  }
}

function pickValid(stored: Record<string, unknown>): Partial<SiteSettings> {
  const out: Partial<SiteSettings> = {};
  for (const key of KEYS) {
    const value = stored[key];
    if (value !== undefined && typeof value === typeof DEFAULT_SETTINGS[key]) {
      Object.assign(out, { [key]: value });
    }
  }
  return out;
}

export function validateSettings(s: SiteSettings): SiteSettings {
  const text = (v: string, field: keyof SiteSettings, max: number) => {
    const t = cleanText(String(v ?? '')).trim();
    if (t.length > max) throw new ContentValidationError(`${field} is longer than ${max} characters.`, field);
    return t;
  };
  const links = (list: NavItem[], field: keyof SiteSettings) =>
    (list ?? []).slice(0, 20).map((l) => {
      const label = text(l.label, field, 100);
      const url = text(l.url, field, 500);
      // No whitespace or control character inside: browsers drop some (/<tab>/evil.example is //evil.example).
      if (!label || !/^(https?:\/\/|\/(?![/\\])|mailto:)/i.test(url) || /[\s\p{Cc}]/u.test(url)) {
        throw new ContentValidationError(`Each link in ${field} needs a label and an http(s), mailto: or /path URL.`, field);
      }
      return { label, url };
    });
  const postsPerPage = Number(s.postsPerPage);
  if (!Number.isInteger(postsPerPage) || postsPerPage < 1 || postsPerPage > 100) {
    throw new ContentValidationError('Posts per page must be a whole number from 1 to 100.', 'postsPerPage');
  }
  const title = text(s.title, 'title', 200);
  if (!title) throw new ContentValidationError('The site needs a title.', 'title');
  const language = text(s.language, 'language', 35) || 'en';
  if (!/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(language)) {
    throw new ContentValidationError('Language must be a tag like en or pt-BR.', 'language');
  }
  return {
    title,
    description: text(s.description, 'description', 500),
    authorName: text(s.authorName, 'authorName', 200),
    authorBio: text(s.authorBio, 'authorBio', 2000),
    navLinks: links(s.navLinks, 'navLinks'),
    socialLinks: links(s.socialLinks, 'socialLinks'),
    postsPerPage,
    language,
  };
}
