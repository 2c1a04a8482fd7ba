import { Body, Get, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { ContentValidationError, type NavItem, SettingsService, type SiteSettings } from '@app/content';

import { AdminController } from './writes/admin-controller.decorator.js';
import { page, seeOther, type WriteOutcome } from './writes/outcome.js';
import { fields, type FormBody } from './forms.js';
import { notice } from './notices.js';

const SETTINGS_FIELDS = [
  'title',
  'description',
  'authorName',
  'authorBio',
  'navLinks',
  'socialLinks',
  'postsPerPage',
  'language',
] as const;

@AdminController('settings')
@UseGuards(AdminGuard)
export class AdminSettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @Render('admin/settings')
  async form(@Query('notice') key: unknown) {
    return this.view(toForm(await this.settings.get()), notice(key));
  }

  @Post()
  async save(@Body() body: FormBody): Promise<WriteOutcome> {
    const values = fields(body, SETTINGS_FIELDS);
    try {
      await this.settings.update({
        ...values,
        navLinks: parseLinks(values.navLinks),
        socialLinks: parseLinks(values.socialLinks),
        postsPerPage: Number(values.postsPerPage),
      });
      return seeOther('/admin/settings?notice=saved');
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      return page('admin/settings', { ...this.view(values, null), error: err.message }, { status: 400 });
    }
  }

  private view(values: Record<string, string>, message: string | null) {
    return { layout: 'admin', title: 'Settings', notice: message, values };
  }
}

/** "Label | URL" per line. */
function parseLinks(text: string): NavItem[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.lastIndexOf('|');
      return bar < 0 ? { label: line, url: '' } : { label: line.slice(0, bar).trim(), url: line.slice(bar + 1).trim() };
    });
}

function toForm(s: SiteSettings): Record<string, string> {
  const links = (list: NavItem[]) => list.map((l) => `${l.label} | ${l.url}`).join('\n');
  return {
    title: s.title,
    description: s.description,
    authorName: s.authorName,
    authorBio: s.authorBio,
    navLinks: links(s.navLinks),
    socialLinks: links(s.socialLinks),
    postsPerPage: String(s.postsPerPage),
    language: s.language,
  };
}
