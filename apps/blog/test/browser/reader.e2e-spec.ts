import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';

import { type BrowserApp, logIn, screenshot, scrollsSideways, startBrowserApp } from '../support/browser-app.js';
import { type SeededSite, seedMentions, seedSite } from '../support/browser-content.js';

jest.setTimeout(60_000);

/** Relative luminance of a computed CSS colour (rgb()/rgba()), 0 for black to 1 for white. */
async function luminance(page: Page, selector: string, property: 'backgroundColor' | 'color'): Promise<number> {
  const value = await page
    .locator(selector)
    .first()
    .evaluate((el, p) => getComputedStyle(el)[p], property);
  const [r, g, b] = (value.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
    const s = Number(c) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('the reader in a browser', () => {
  let b: BrowserApp;
  let site: SeededSite;
  let readerPages: [string, string][];

  beforeAll(async () => {
    b = await startBrowserApp({ DEMO_CONTENT: 'true' });
    site = await seedSite(b.t);
    await seedMentions(b.t, site.post.id, b.origin);
    readerPages = [
      ['home', '/'],
      ['post', `/posts/${site.post.slug}`],
      ['page', `/${site.page.slug}`],
      ['tag', `/tags/${site.tag}`],
      ['tags', '/tags'],
      ['search', '/search?q=ridge'],
      ['search without results', '/search?q=xylophone'],
      ['not found', '/no/such/page'],
    ];
  });
  afterAll(() => b?.close());

  for (const width of [375, 1280]) {
    it(`at ${width} px: no page scrolls sideways, images scale, code scrolls inside its own box`, async () => {
      const page = await (await b.context({ viewport: { width, height: 800 } })).newPage();
      const sideways: string[] = [];
      for (const [name, path] of readerPages) {
        await page.goto(path);
        if (await scrollsSideways(page)) sideways.push(name);
      }
      // The author writes on a phone too.
      await logIn(page);
      for (const path of [
        '/admin',
        '/admin/posts',
        '/admin/pages',
        '/admin/tags',
        '/admin/media',
        '/admin/settings',
        '/admin/webmentions',
      ]) {
        await page.goto(path);
        if (await scrollsSideways(page)) sideways.push(path);
      }
      await page.goto(`/admin/posts/${site.post.id}/edit`);
      await page.locator('[data-preview] img').waitFor();
      if (await scrollsSideways(page)) sideways.push('editor');
      expect(sideways).toEqual([]);

      await page.goto(`/posts/${site.post.slug}`);
      const image = page.locator('.prose img');
      await image.evaluate((img: HTMLImageElement) => img.decode());
      const fit = await image.evaluate((img: HTMLImageElement) => ({
        declared: [img.getAttribute('width'), img.getAttribute('height')],
        loaded: img.currentSrc,
        shown: img.getBoundingClientRect().width,
        ratio: img.getBoundingClientRect().width / img.getBoundingClientRect().height,
        column: img.closest('.prose')!.clientWidth,
      }));
      // The 1600 px original is declared (no layout shift), and the browser took a rendition sized for the column.
      expect(fit.declared).toEqual(['1600', '400']);
      expect(fit.loaded).toMatch(/-\d+w\.(avif|webp)$/);
      expect(fit.shown).toBeLessThanOrEqual(fit.column);
      expect(fit.shown).toBeLessThan(1600);
      expect(fit.ratio).toBeCloseTo(4, 1); // scaled, not squashed

      const code = await page.locator('.prose pre').evaluate((pre) => ({
        overflowX: getComputedStyle(pre).overflowX,
        scrolls: pre.scrollWidth > pre.clientWidth,
      }));
      expect(code).toEqual({ overflowX: 'auto', scrolls: true });
      // Column alignment survives without style attributes (a strict CSP would drop them).
      const weight = page.locator('.prose td', { hasText: '2.1 kg' });
      expect(await weight.evaluate((td) => [td.getAttribute('style'), getComputedStyle(td).textAlign])).toEqual([null, 'right']);
      expect(await scrollsSideways(page)).toBe(false);
    });
  }

  it('follows the system colour scheme, light or dark, and switches with it', async () => {
    const page = await (await b.context()).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`/posts/${site.post.slug}`);
    expect(await luminance(page, 'body', 'backgroundColor')).toBeGreaterThan(0.8);
    expect(await luminance(page, 'body', 'color')).toBeLessThan(0.1);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await luminance(page, 'body', 'backgroundColor')).toBeLessThan(0.05);
    expect(await luminance(page, 'body', 'color')).toBeGreaterThan(0.7);
    // Code keeps its own, still dark-on-dark-safe, background.
    expect(await luminance(page, '.prose pre', 'backgroundColor')).toBeLessThan(0.05);
  });

  it('without JavaScript: every page is there, links and search work', async () => {
    const page = await (await b.context({ javaScriptEnabled: false })).newPage();
    await page.goto('/');
    await page.getByRole('link', { name: 'Notes from a field trip' }).click();
    await page.waitForURL(`**/posts/${site.post.slug}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Notes from a field trip');
    expect(await page.locator('.prose img').getAttribute('alt')).toBe('The sun rising over a ridge');

    await page.getByRole('link', { name: '#travel', exact: true }).first().click();
    await page.waitForURL('**/tags/travel');
    expect(await page.getByRole('link', { name: 'Notes from a field trip' }).count()).toBe(1);

    await page.getByRole('link', { name: 'Tags', exact: true }).click();
    await page.waitForURL('**/tags');
    await page
      .getByRole('link', { name: /inkstone/ })
      .first()
      .click();
    await page.waitForURL('**/tags/inkstone');

    await page.getByRole('searchbox', { name: 'Search posts' }).fill('sqlite');
    await Promise.all([page.waitForURL('**/search?q=sqlite'), page.getByRole('button', { name: 'Search' }).click()]);
    expect(await page.getByRole('link', { name: 'Why one SQLite file is enough' }).count()).toBe(1);

    const missing = await page.goto('/no/such/page');
    expect(missing?.status()).toBe(404);
    await page.getByLabel('Search the blog instead').fill('field trip');
    await Promise.all([page.waitForURL(/\/search\?q=field/), page.getByLabel('Search the blog instead').press('Enter')]);
    expect(await page.getByRole('link', { name: 'Notes from a field trip' }).count()).toBe(1);

    await page.getByRole('link', { name: 'About' }).first().click();
    await page.waitForURL('**/about');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('About');
  });

  it("counts a reader's visits on the dashboard: today's bar, the numbers and the most read", async () => {
    const author = await (await b.context()).newPage();
    await logIn(author);
    // The app's clock held at one instant: views count per UTC day, and a run across midnight would
    // otherwise count them on another day than the row read here.
    const now = b.t.clock.now();
    const held = jest.spyOn(b.t.clock, 'now').mockReturnValue(now);
    const today = now.toISOString().slice(0, 10);
    const todays = async () => {
      await author.goto('/admin');
      return Number(await author.locator('.views tbody tr').filter({ hasText: today }).locator('td').nth(1).textContent());
    };
    const before = await todays();
    expect(await author.locator('.chart .chart-bar').count()).toBe(30);

    // Headless Chromium says so in its user agent, and robots are not counted: look like a person.
    const reader = await (
      await b.context({
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36',
      })
    ).newPage();
    for (let i = 0; i < 3; i++) await reader.goto('/posts/welcome-to-inkstone');
    expect(await todays()).toBe(before + 3);
    expect(await author.locator('.chart desc').textContent()).toMatch(/^\d+ views in the 30 days from /);
    expect(await author.getByRole('img', { name: 'Views per day' }).count()).toBe(1);
    const mostRead = await author.locator('section', { hasText: 'Most read' }).locator('li').allTextContents();
    expect(mostRead.some((line) => /^Welcome to Inkstone · 3 views$/.test(line.trim()))).toBe(true);
    held.mockRestore();
  });

  it('lays math out natively: the fraction stacked, the formula centred, no layout shift; README screenshots', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await b.context({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      // Injected by the browser driver (the page's CSP allows no inline script): sums layout shifts.
      await page.addInitScript(() => {
        const w = window as unknown as { shifted: number };
        w.shifted = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
            if (!e.hadRecentInput) w.shifted += e.value;
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await page.goto(`/posts/${site.post.slug}`);
      await page.locator('.prose img').evaluate((img: HTMLImageElement) => img.decode());
      const layout = await page.locator('.math-display').evaluate((box) => {
        // The formula's own box (the math element itself spans the column).
        const math = box.querySelector('semantics > mrow')!.getBoundingClientRect();
        const [numerator, denominator] = Array.from(box.querySelector('mfrac')!.children).map((c) => c.getBoundingClientRect());
        const column = box.getBoundingClientRect();
        return {
          stacked: numerator!.bottom <= denominator!.top + 1 && numerator!.height > 0,
          centred: Math.abs(math.left + math.width / 2 - (column.left + column.width / 2)) < 2,
          tallerThanText: math.height > 24,
          narrowerThanColumn: math.width < column.width / 2,
        };
      });
      expect(layout).toEqual({ stacked: true, centred: true, tallerThanText: true, narrowerThanColumn: true });
      await page.locator('.math-display').scrollIntoViewIfNeeded();
      expect(await page.evaluate(() => (window as unknown as { shifted: number }).shifted)).toBe(0);
      await screenshot(page, `math-${scheme}`);
      await context.close();
    }
  });

  it('saves the README screenshots: home, a post, the editor and the dashboard, light and dark', async () => {
    const shoot = async (page: Page, name: string) => {
      expect({ name, sideways: await scrollsSideways(page) }).toEqual({ name, sideways: false });
      await screenshot(page, name);
    };
    for (const scheme of ['light', 'dark'] as const) {
      const context = await b.context({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto('/');
      await shoot(page, `home-${scheme}`);
      await page.goto(`/posts/${site.post.slug}`);
      await page.locator('.prose img').evaluate((img: HTMLImageElement) => img.decode());
      await shoot(page, `post-${scheme}`);
      await logIn(page);
      await page.locator('.chart').waitFor();
      await shoot(page, `dashboard-${scheme}`);
      await page.goto(`/admin/posts/${site.post.id}/edit`);
      await page.locator('[data-preview] img').evaluate((img: HTMLImageElement) => img.decode());
      await page.locator('[data-status]').filter({ hasText: 'words' }).waitFor();
      await shoot(page, `editor-${scheme}`);
      await page.goto('/admin/webmentions');
      await shoot(page, `webmentions-admin-${scheme}`);
      await page.goto(`/posts/${site.post.slug}`);
      await page.locator('.mentions').scrollIntoViewIfNeeded();
      await shoot(page, `webmentions-${scheme}`);
      await context.close();
    }
  });
});
