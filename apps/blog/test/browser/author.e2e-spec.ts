import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';

import { type BrowserApp, focusRing, logIn, startBrowserApp } from '../support/browser-app.js';
import { png } from '../support/media-images.js';
import { ADMIN_PASSWORD } from '../support/test-app.js';

jest.setTimeout(60_000);

const MARKDOWN = [
  'Some words before the heading, enough to count.',
  '',
  '## A heading from the browser',
  '',
  '```ts',
  'const answer: number = 42;',
  '```',
  '',
  '| planet | moons |',
  '| --- | --- |',
  '| Mars | 2 |',
  '',
].join('\n');

/** Pastes a real PNG into the focused textarea, as a clipboard holding a file would. */
async function pastePng(page: Page, bytes: Buffer, name: string): Promise<void> {
  await page.locator('#markdown').evaluate(
    (textarea, { base64, name }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const clipboard = new DataTransfer();
      clipboard.items.add(new File([data], name, { type: 'image/png' }));
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }));
    },
    { base64: bytes.toString('base64'), name },
  );
}

/** Drops a real PNG on the textarea, as a file dragged from the desktop would. */
async function dropPng(page: Page, bytes: Buffer, name: string): Promise<void> {
  await page.locator('#markdown').evaluate(
    (textarea, { base64, name }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dragged = new DataTransfer();
      dragged.items.add(new File([data], name, { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        textarea.dispatchEvent(new DragEvent(type, { dataTransfer: dragged, bubbles: true, cancelable: true }));
      }
    },
    { base64: bytes.toString('base64'), name },
  );
}

const notice = (page: Page) => page.locator('.notice[role="status"]');

// One app and one browser for the file; each describe has its own contexts.
let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp();
});
afterAll(() => b?.close());

describe('the author in a browser', () => {
  let page: Page;

  beforeAll(async () => {
    page = await (await b.context()).newPage();
    await logIn(page);
  });

  let postId: string;
  let previewHtml: string;

  it('writes a post with a heading, code, a table and a pasted image, and sees it previewed live', async () => {
    await page.getByRole('link', { name: 'Write a new post' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Moons of the red planet');
    await page.locator('#markdown').fill(MARKDOWN);
    await page.locator('#markdown').press('End');
    await pastePng(page, png(40, 30, 7), 'mars.png');
    await page.waitForFunction(() =>
      /!\[[^\]]*\]\(\/media\/\d+\/mars\.png\)/.test((document.querySelector('#markdown') as HTMLTextAreaElement).value),
    );

    await dropPng(page, png(20, 20, 99), 'phobos.png');
    await page.waitForFunction(() => (document.querySelector('#markdown') as HTMLTextAreaElement).value.includes('/phobos.png)'));

    const preview = page.locator('[data-preview]');
    await preview.locator('img[src$="/phobos.png"]').waitFor();
    expect(await preview.locator('h2').textContent()).toContain('A heading from the browser');
    expect(await preview.locator('pre code').textContent()).toContain('const answer: number = 42;');
    expect(await preview.locator('table td').allTextContents()).toEqual(['Mars', '2']);
    // The pasted image really is served and decoded (a rendition, through srcset), declared at its true size.
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-preview] img[src$="/mars.png"]') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0 && img.getAttribute('width') === '40';
    });
    expect(await page.locator('[data-status]').textContent()).toMatch(/\d+ words · 1 min read/);
    previewHtml = await preview.innerHTML();

    await page.getByLabel('Tags').fill('Astronomy, Mars');
    await Promise.all([
      page.waitForURL(/\/admin\/posts\/\d+\/edit\?notice=saved/),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(await notice(page).textContent()).toContain('Saved.');
    expect(await page.locator('.badge').first().textContent()).toBe('draft');
    postId = /\/admin\/posts\/(\d+)\/edit/.exec(page.url())![1];
  });

  it('schedules it, then publishes it, with a clear notice each time', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    await page.getByLabel('Status').selectOption('published');
    await page.getByLabel(/Publication date/).fill(tomorrow);
    await Promise.all([page.waitForURL(/notice=scheduled/), page.getByRole('button', { name: 'Save' }).click()]);
    expect(await notice(page).textContent()).toContain('Scheduled');
    expect(await page.locator('.badge').first().textContent()).toBe('scheduled');

    const reader = await (await b.context()).newPage();
    await reader.goto('/');
    expect(await reader.getByText('Moons of the red planet').count()).toBe(0);
    await reader.close();

    // Publishing now: a date in the past (an empty date keeps the scheduled one).
    const aMinuteAgo = new Date(Date.now() - 60_000).toISOString().slice(0, 16);
    await page.getByLabel(/Publication date/).fill(aMinuteAgo);
    await Promise.all([page.waitForURL(/notice=published/), page.getByRole('button', { name: 'Save' }).click()]);
    expect(await notice(page).textContent()).toContain('Published: it is live on the site.');
  });

  it('shows the published post on the home page, its tag page, the feed and in search, as previewed', async () => {
    const reader = await (await b.context()).newPage();
    await reader.goto('/');
    await reader.getByRole('link', { name: 'Moons of the red planet' }).click();
    await reader.waitForURL('**/posts/moons-of-the-red-planet');
    // What the author saw in the preview is what the reader gets.
    expect(normalise(await reader.locator('.prose').innerHTML())).toBe(normalise(previewHtml));

    await reader.goto('/tags/mars');
    expect(await reader.getByRole('link', { name: 'Moons of the red planet' }).count()).toBe(1);

    const feed = await reader.request.get('/feed.xml');
    expect(await feed.text()).toContain('<title type="html"><![CDATA[Moons of the red planet]]></title>');

    await reader.goto('/');
    await reader.getByRole('searchbox', { name: 'Search posts' }).fill('moons');
    await reader.getByRole('searchbox', { name: 'Search posts' }).press('Enter');
    await reader.waitForURL('**/search?q=moons');
    expect(await reader.getByRole('link', { name: 'Moons of the red planet' }).count()).toBe(1);
    await reader.close();
  });

  it('warns before leaving unsaved changes and saves with Ctrl+S', async () => {
    await page.locator('#markdown').press('End');
    await page.locator('#markdown').pressSequentially('\n\nA late thought.');
    const dialog = page.waitForEvent('dialog');
    const leaving = page.getByRole('link', { name: 'Posts', exact: true }).click();
    const warning = await dialog;
    expect(warning.type()).toBe('beforeunload');
    await warning.dismiss();
    await leaving;
    expect(page.url()).toContain(`/admin/posts/${postId}/edit`);

    await Promise.all([page.waitForURL(/notice=published/), page.keyboard.press('Control+s')]);
    expect(await page.locator('#markdown').inputValue()).toContain('A late thought.');
  });

  it('meets a friendly error page inside the admin, with a way back', async () => {
    const response = await page.goto('/admin/posts/99999/edit');
    expect(response?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(1);
    await Promise.all([page.waitForURL('**/admin'), page.getByRole('link', { name: 'Back to the dashboard' }).click()]);
    await page.goto(`/admin/posts/${postId}/edit`);
  });

  it('edits the post and restores an earlier revision', async () => {
    await page.getByLabel('Title', { exact: true }).fill('Moons of Mars');
    await Promise.all([page.waitForURL(/notice=published/), page.getByRole('button', { name: 'Save' }).click()]);
    await page.getByRole('link', { name: 'Revisions' }).click();
    const rows = page.locator('ol.revisions li');
    expect(await rows.count()).toBeGreaterThanOrEqual(4);
    // The oldest revision: the first draft, without the late thought.
    await rows.last().getByRole('link').click();
    expect(await page.locator('pre.diff').textContent()).toContain('+ A late thought.');
    await Promise.all([page.waitForURL(/notice=restored/), page.getByRole('button', { name: 'Restore this revision' }).click()]);
    expect(await notice(page).textContent()).toContain('Revision restored');
    expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('Moons of the red planet');
    expect(await page.locator('#markdown').inputValue()).not.toContain('A late thought.');
  });

  it('deletes the post after a confirmation, and says so', async () => {
    await page.getByRole('link', { name: 'Delete' }).click();
    await page.waitForURL(`**/admin/posts/${postId}/delete`);
    await Promise.all([page.waitForURL(/notice=deleted/), page.getByRole('button', { name: /Delete/ }).click()]);
    expect(await notice(page).textContent()).toContain('Deleted.');
    expect((await page.request.get('/posts/moons-of-the-red-planet')).status()).toBe(410); // gone, not missing
  });
});

/** Whitespace aside, the same markup. */
function normalise(html: string): string {
  return html.replace(/\s+/g, ' ').trim();
}

describe('the author without a mouse, and without JavaScript', () => {
  /** Presses Tab until `wanted` holds for the focused element, checking every stop shows its focus. */
  async function tabTo(page: Page, wanted: (el: Element) => boolean, what: string): Promise<void> {
    for (let stops = 0; stops < 60; stops++) {
      await page.keyboard.press('Tab');
      const ring = await focusRing(page);
      if (!ring.visible) throw new Error(`Focus is not visible on ${ring.element}`);
      if (await page.evaluate(`(${wanted.toString()})(document.activeElement)`)) return;
    }
    throw new Error(`Tab never reached ${what}`);
  }

  it('logs in, writes and publishes a post with the keyboard only, focus always visible', async () => {
    const page = await (await b.context()).newPage();
    await page.goto('/admin/login');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username'); // autofocus
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await Promise.all([page.waitForURL('**/admin'), page.keyboard.press('Enter')]);

    await tabTo(page, (el) => el.textContent === 'Write a new post', 'the new post link');
    await Promise.all([page.waitForURL('**/admin/posts/new'), page.keyboard.press('Enter')]);

    await tabTo(page, (el) => el.id === 'title', 'the title');
    await page.keyboard.type('Typed without a mouse');
    await tabTo(page, (el) => el.id === 'markdown', 'the text');
    await page.keyboard.type('Every key was pressed on purpose.');
    await tabTo(page, (el) => el.id === 'status', 'the status');
    await page.keyboard.type('P'); // type-ahead: Draft → Published
    expect(await page.locator('#status').inputValue()).toBe('published');
    await tabTo(page, (el) => el.textContent === 'Save', 'the save button');
    await Promise.all([page.waitForURL(/notice=published/), page.keyboard.press('Enter')]);
    expect(await page.locator('.notice').textContent()).toContain('Published');
    expect(await (await page.request.get('/posts/typed-without-a-mouse')).status()).toBe(200);
  });

  it('shows the skip link when it takes focus', async () => {
    const page = await (await b.context()).newPage();
    await page.goto('/');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    const box = await skip.boundingBox();
    expect(box && box.width > 20 && box.height > 10 && box.y >= 0).toBe(true);
  });

  it('without JavaScript: a plain textarea, a preview button that opens the rendered text, and saving works', async () => {
    const context = await b.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await logIn(page);
    await page.goto('/admin/posts/new');
    expect(await page.locator('[data-preview-pane]').isHidden()).toBe(true);
    await page.getByLabel('Title', { exact: true }).fill('Written the old way');
    await page.locator('#markdown').fill('## Still works\n\nNo script needed.');
    const [preview] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('button', { name: 'Preview in a new tab' }).click(),
    ]);
    await preview.waitForLoadState();
    expect(await preview.getByRole('heading', { name: 'Still works' }).count()).toBe(1);
    await preview.close();
    await Promise.all([page.waitForURL(/notice=saved/), page.getByRole('button', { name: 'Save' }).click()]);
    expect(await page.locator('.notice').textContent()).toContain('Saved.');

    // Images go up through the media library's plain form.
    await page.goto('/admin/media');
    await page.getByLabel(/Upload an image/).setInputFiles({ name: 'dusk.png', mimeType: 'image/png', buffer: png(64, 48, 300) });
    await Promise.all([page.waitForURL(/notice=uploaded/), page.getByRole('button', { name: 'Upload', exact: true }).click()]);
    expect(await page.locator('.notice').textContent()).toContain('Image uploaded.');
    // The tile shows the image's smallest rendition (or the original when it has none).
    expect(await page.locator('.media-grid img[src*="/dusk"]').count()).toBe(1);
  });
});
