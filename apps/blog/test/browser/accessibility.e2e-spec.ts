import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';

import { RevisionsService } from '@app/content';

import { type AxeViolation, axeViolations, type BrowserApp, logIn, startBrowserApp } from '../support/browser-app.js';
import { type SeededSite, seedMentions, seedSite } from '../support/browser-content.js';

jest.setTimeout(120_000);

const SCHEMES = ['light', 'dark'] as const;

/** Inline scripts, event-handler attributes and style attributes on the page, if any. */
function inlineCode(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const attr of el.getAttributeNames()) {
        if (attr === 'style' || attr.startsWith('on')) found.push(`${el.tagName.toLowerCase()}[${attr}]`);
      }
    }
    for (const script of Array.from(document.querySelectorAll('script:not([src])'))) {
      if (script.getAttribute('type') !== 'application/ld+json') found.push('inline <script>');
    }
    return found;
  });
}

/** axe-core's WCAG 2.1 A/AA rules on every page type, in both colour schemes: no violation allowed. */
describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  let b: BrowserApp;
  let site: SeededSite;
  let pageId: number;
  let revisionId: number;

  beforeAll(async () => {
    b = await startBrowserApp({ DEMO_CONTENT: 'true' });
    site = await seedSite(b.t);
    // A second save, so the revision page has a diff to show.
    const post = await b.t.run(() => b.t.services.posts.findById(site.post.id));
    await b.t.run(() =>
      b.t.services.posts.update(site.post.id, {
        title: post!.title,
        markdown: `${post!.markdown}\n\nAdded later.`,
        status: 'published',
        publishedAt: post!.publishedAt,
        tags: ['travel', 'photos'],
      }),
    );
    const revisions = await b.t.run(() => b.t.app.get(RevisionsService).list(site.post.id));
    revisionId = revisions.at(-1)!.id;
    const pages = await b.t.run(() => b.t.services.pages.listForAdmin());
    pageId = pages[0].id;
    await seedMentions(b.t, site.post.id, b.origin);
    // The pages audited below show them (else the audit would not cover them).
    expect(await (await fetch(`${b.origin}/posts/${site.post.slug}`)).text()).toContain('worth the early start');
  });
  afterAll(() => b?.close());

  async function audit(page: Page, paths: string[]): Promise<Record<string, AxeViolation[]>> {
    const found: Record<string, AxeViolation[]> = {};
    for (const path of paths) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(/no-such|\/no\/|99999/.test(path) ? 404 : 200);
      // The editor's live preview is part of the page: audit it once it has rendered.
      if ((await page.locator('[data-editor]').count()) > 0) {
        await page.waitForFunction(() => document.querySelector('[data-status]')?.textContent !== '');
      }
      const violations = await axeViolations(page);
      if (violations.length > 0) found[path] = violations;
      // Ready for a strict Content-Security-Policy: nothing inline that it would block.
      expect({ path, inline: await inlineCode(page) }).toEqual({ path, inline: [] });
    }
    return found;
  }

  it('on a phone (375 px), where tables and code scroll inside their own boxes', async () => {
    const page = await (await b.context({ viewport: { width: 375, height: 800 } })).newPage();
    const reader = await audit(page, ['/', `/posts/${site.post.slug}`, '/tags']);
    await logIn(page);
    const admin = await audit(page, [
      '/admin',
      '/admin/posts',
      '/admin/pages',
      '/admin/tags',
      `/admin/posts/${site.post.id}/edit`,
    ]);
    expect({ ...reader, ...admin }).toEqual({});
  });

  for (const scheme of SCHEMES) {
    it(`reader pages, ${scheme}`, async () => {
      const page = await (await b.context({ colorScheme: scheme })).newPage();
      const found = await audit(page, [
        '/',
        `/posts/${site.post.slug}`,
        `/${site.page.slug}`,
        `/tags/${site.tag}`,
        '/tags',
        '/search?q=ridge',
        '/search?q=xylophone',
        '/search',
        '/no/such/page',
      ]);
      expect(found).toEqual({});
    });

    it(`admin pages, ${scheme}`, async () => {
      const page = await (await b.context({ colorScheme: scheme })).newPage();
      const login = await audit(page, ['/admin/login']);
      await logIn(page);
      const found = await audit(page, [
        '/admin',
        '/admin/posts',
        '/admin/posts?status=draft',
        '/admin/posts/new',
        `/admin/posts/${site.post.id}/edit?notice=published&replication=replicated`,
        `/admin/posts/${site.post.id}/edit?notice=saved&replication=pending`,
        `/admin/posts/${site.post.id}/revisions`,
        `/admin/posts/${site.post.id}/revisions/${revisionId}`,
        `/admin/posts/${site.post.id}/delete`,
        '/admin/pages',
        '/admin/pages/new',
        `/admin/pages/${pageId}/edit`,
        '/admin/tags',
        '/admin/media',
        '/admin/settings',
        '/admin/redirects?test=/2019/05/old-post/',
        '/admin/webmentions',
        '/admin/no-such-page',
        '/admin/posts/99999/edit',
      ]);
      expect({ ...login, ...found }).toEqual({});
    });
  }
});
