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
export async function focusRing(page: Page): Promise<{ element: string; visible: boolean }> {
  const found = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { element: 'body', visible: false, calendarOf: null };
    // The last stop inside a date field is its calendar button, in the browser's own shadow tree:
    // the field no longer matches :focus and the button's style is out of reach of getComputedStyle.
    if (el instanceof HTMLInputElement && el.type.startsWith('date') && !el.matches(':focus')) {
      return { element: `input#${el.id} calendar button`, visible: false, calendarOf: el.id };
    }
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== 'none';
    const label = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${(el.textContent ?? '').trim().slice(0, 30)}`;
    return { element: label, visible: outline || ring, calendarOf: null };
  });
  if (!found.calendarOf) return { element: found.element, visible: found.visible };
  return { element: found.element, visible: await calendarButtonRing(page, found.calendarOf) };
}

/**
 * Whether the focused calendar button of date field `id` looks focused: the field's pixels (and a
 * margin for an outline) while it has the focus, against the same pixels with the focus gone. The
 * focus is then brought back to the same stop, so a keyboard walk goes on from where it was.
 */
async function calendarButtonRing(page: Page, id: string): Promise<boolean> {
  const field = page.locator(`#${id}`);
  // The button sits inside the field's box, and so does its ring: the field's own pixels tell.
  const focused = await field.screenshot({ animations: 'disabled', caret: 'hide' });
  // blur() does not reach into the shadow tree: the focus leaves by going to another control.
  const left = await page.evaluate((fieldId) => {
    const other = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, textarea, select, input')).find(
      (e) => e.id !== fieldId,
    );
    other?.focus();
    return document.activeElement !== document.getElementById(fieldId);
  }, id);
  if (!left) throw new Error(`could not move the focus away from #${id}`);
  const unfocused = await field.screenshot({ animations: 'disabled', caret: 'hide' });
  // Back to the calendar button: into the field (its first part), then Tab through its parts.
  await field.focus();
  for (let presses = 0; ; presses++) {
    const back = await page.evaluate((fieldId) => {
      const el = document.activeElement;
      return el?.id === fieldId && !el.matches(':focus');
    }, id);
    if (back) break;
    if (presses === 12) throw new Error(`could not bring the focus back to the calendar button of #${id}`);
    await page.keyboard.press('Tab');
  }
  return !focused.equals(unfocused);
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
