import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

import { launchBrowser } from './browser.js';
import { freePort, ROOT } from './process.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './test-app.js';

export interface BrowserApp {
  t: TestApp;
  /** http://127.0.0.1:PORT, also the app's SITE_URL so that absolute links stay on it. */
  origin: string;
  browser: Browser;
  /** A fresh context (cookies, viewport, colour scheme, JavaScript) on the app's origin. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** The real app listening on loopback plus one Chromium: one per spec file. */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const browser = await launchBrowser(); // first: without Chromium there is no app to clean up
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let t: TestApp;
  try {
    t = await startTestApp({ SITE_URL: origin, ...env });
    await t.app.listen(port, '127.0.0.1');
  } catch (err) {
    await browser.close();
    throw err;
  }
  const contexts: BrowserContext[] = [];
  return {
    t,
    origin,
    browser,
    async context(options = {}) {
      const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 800 }, ...options });
      context.setDefaultTimeout(20_000); // generous: CI machines are shared
      contexts.push(context);
      return context;
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      await browser.close();
      await t.close();
    },
  };
}

/** Logs the author in through the login form, the way a person does. */
export async function logIn(page: Page): Promise<void> {
  await page.goto('/admin/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await Promise.all([page.waitForURL('**/admin'), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** Whether the page scrolls sideways: the one thing a phone reader must never have to do. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });
}

/** What the focused element looks like: focus must be visible (an outline or a ring). */
export function focusRing(page: Page): Promise<{ element: string; visible: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { element: 'body', visible: false };
    // The last stop inside a date field is its calendar button, in the browser's own shadow tree:
    // the field no longer matches :focus and the button's ring (site.css) is out of reach here.
    if (el instanceof HTMLInputElement && el.type.startsWith('date') && !el.matches(':focus')) {
      return { element: `input#${el.id} calendar button`, visible: true };
    }
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== 'none';
    const label = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${(el.textContent ?? '').trim().slice(0, 30)}`;
    return { element: label, visible: outline || ring };
  });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeResults {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[];
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's WCAG 2.1 A and AA rules on the page as it is now. The source is evaluated through
 * the DevTools protocol, not a <script> tag, so a strict Content-Security-Policy does not stop it.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResults> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`.slice(0, 300)),
    }));
  });
}

export const SCREENSHOTS_DIR = join(ROOT, 'docs', 'screenshots');

/** A viewport-sized PNG for the README (docs/screenshots/NAME.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
