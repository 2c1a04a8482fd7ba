import { Inject, Injectable } from '@nestjs/common';

import {
  ContentEvents,
  FEED_URL,
  JSON_FEED_URL,
  type NavItem,
  PagesService,
  SettingsService,
  type SiteSettings,
} from '@app/content';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';

/** What every page's layout needs: settings, the menu, the canonical origin and the feeds' addresses. */
export interface SiteContext extends SiteSettings {
  url: string;
  nav: NavItem[];
  year: number;
  feeds: typeof FEEDS;
}

const FEEDS = { atom: FEED_URL, json: JSON_FEED_URL } as const;

@Injectable()
export class SiteContextService {
  private cached: Promise<SiteContext> | null = null;

  constructor(
    private readonly settings: SettingsService,
    private readonly pages: PagesService,
    events: ContentEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    events.onChange((change) => {
      if (change === 'page' || change === 'setting') this.cached = null;
    });
  }

  get(): Promise<SiteContext> {
    this.cached ??= this.load().catch((err: unknown) => {
      this.cached = null;
      throw err;
    });
    return this.cached;
  }

  /** Used by the error pages, which must render even when the database does not answer. */
  fallback(): SiteContext {
    return { ...defaultsForErrors, url: this.config.siteUrl, nav: [], year: new Date().getUTCFullYear(), feeds: FEEDS };
  }

  private async load(): Promise<SiteContext> {
    const [settings, menu] = await Promise.all([this.settings.get(), this.pages.menu()]);
    return {
      ...settings,
      url: this.config.siteUrl,
      nav: [...menu, ...settings.navLinks],
      year: new Date().getUTCFullYear(),
      feeds: FEEDS,
    };
  }
}

const defaultsForErrors: SiteSettings = {
  title: 'Inkstone',
  description: '',
  authorName: '',
  authorBio: '',
  navLinks: [],
  socialLinks: [],
  postsPerPage: 10,
  language: 'en',
};
