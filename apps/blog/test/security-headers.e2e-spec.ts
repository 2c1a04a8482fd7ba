import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';

import { VIEWS_DIR } from '../src/paths.js';
import { csrfFrom, loggedInAgent } from './support/admin-agent.js';
import { launchBrowser } from './support/browser.js';
import { freePort } from './support/process.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/test-app.js';

/** The CSP header as a map of directive → sources. */
function csp(res: request.Response): Map<string, string[]> {
  const header = res.headers['content-security-policy'] as string | undefined;
  expect(header).toBeDefined();
  return new Map(
    header!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

const setCookies = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);

function viewFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? viewFiles(join(dir, e.name)) : e.name.endsWith('.hbs') ? [join(dir, e.name)] : [],
  );
}

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Tables', markdown: '| a | b |\n|:-:|--:|\n| 1 | 2 |' });
  });
  afterAll(() => t.close());

  it('sends a strict CSP on reader pages: nothing inline, nothing from elsewhere but https images', async () => {
    for (const path of ['/', '/posts/tables', '/search?q=a', '/nope', '/feed.xml']) {
      const res = await request(t.server).get(path);
      const policy = csp(res);
      expect(policy.get('default-src')).toEqual(["'self'"]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('script-src-attr')).toEqual(["'none'"]);
      expect(policy.get('style-src')).toEqual(["'self'"]);
      expect(policy.get('style-src-attr')).toEqual(["'none'"]);
      expect(policy.get('img-src')).toEqual(["'self'", 'data:', 'https:']);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(policy.get('base-uri')).toEqual(["'none'"]);
      expect(policy.get('form-action')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(res.headers['content-security-policy']).not.toMatch(/unsafe-(inline|eval)/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      // Plain http locally: no HSTS, no upgrade.
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(policy.has('upgrade-insecure-requests')).toBe(false);
    }
  });

  it('keeps the admin same-origin: no referrer leaves it, nothing may frame it', async () => {
    const { agent } = await loggedInAgent(t);
    const pages = [await request(t.server).get('/admin/login').expect(200)];
    for (const path of ['/admin', '/admin/posts/new', '/admin/settings']) pages.push(await agent.get(path).expect(200));
    for (const res of pages) {
      expect(csp(res).get('frame-ancestors')).toEqual(["'none'"]);
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
    // The login redirect of an anonymous visitor carries them too.
    const redirect = await request(t.server).get('/admin/posts').expect(303);
    expect(redirect.headers['referrer-policy']).toBe('same-origin');
  });

  it('aligns table cells with classes, since the CSP ignores style attributes', async () => {
    const res = await request(t.server).get('/posts/tables').expect(200);
    expect(res.text).toContain('<th class="align-center">a</th>');
    expect(res.text).toContain('<td class="align-right">2</td>');
  });

  it('the views have no inline script, style attribute or event handler for the CSP to block', () => {
    const files = viewFiles(VIEWS_DIR);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const html = readFileSync(file, 'utf8');
      const where = file.slice(VIEWS_DIR.length);
      expect({ where, style: html.match(/\sstyle\s*=/gi) }).toEqual({ where, style: null });
      expect({ where, handler: html.match(/\son[a-z]+\s*=/gi) }).toEqual({ where, handler: null });
      expect({ where, styleTag: html.match(/<style/gi) }).toEqual({ where, styleTag: null });
      for (const script of html.match(/<script[^>]*>/gi) ?? []) {
        // A theme file (by path or through the fingerprinting {{asset}} helper) or JSON-LD data.
        expect(script).toMatch(/\ssrc="(\/static\/|\{\{asset ')|type="application\/ld\+json"/);
      }
      expect({ where, jsUrl: html.match(/javascript:/gi) }).toEqual({ where, jsUrl: null });
    }
  });

  describe('in production', () => {
    let prod: TestApp;
    beforeAll(async () => {
      prod = await startTestApp({ NODE_ENV: 'production' });
    });
    afterAll(() => prod.close());

    it('adds HSTS and upgrade-insecure-requests', async () => {
      for (const path of ['/', '/admin/login']) {
        const res = await request(prod.server).get(path).expect(200);
        expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
        expect(csp(res).has('upgrade-insecure-requests')).toBe(true);
      }
    });

    it('flags both cookies __Host-, Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
      const form = await request(prod.server).get('/admin/login').expect(200);
      const seedCookie = setCookies(form).find((c) => c.startsWith('__Host-inkstone_csrf='))!;
      const seed = seedCookie.split(';')[0];
      const login = await request(prod.server)
        .post('/admin/login')
        .set('Cookie', seed)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), username: 'admin', password: ADMIN_PASSWORD })
        .expect(303);
      const session = setCookies(login).find((c) => c.startsWith('__Host-inkstone_session='))!;
      for (const cookie of [seedCookie, session]) {
        expect(cookie).toMatch(/; Secure/);
        expect(cookie).toMatch(/; HttpOnly/);
        expect(cookie).toMatch(/; SameSite=Lax/);
        expect(cookie).toMatch(/; Path=\//);
        expect(cookie).not.toMatch(/Domain=/i);
      }
      expect(session).toMatch(/Max-Age=604800/);
    });
  });

  // Without Chromium this fails with the command that installs it: never a skip.
  it('a real browser loads the site and the admin with no CSP violation', async () => {
    const port = await freePort();
    await t.app.listen(port, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        // The 404 page itself (and a missing favicon) are not what this test looks for.
        if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      for (const path of ['/', '/posts/tables', '/search?q=tables', '/tags', '/nope']) {
        await page.goto(`${base}${path}`);
        // The stylesheet applied: the skip link is moved off-screen by site.css.
        expect(await page.evaluate(() => document.styleSheets.length)).toBeGreaterThan(0);
      }
      await page.goto(`${base}/admin/login`);
      await page.fill('#username', 'admin');
      await page.fill('#password', ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
      for (const path of ['/admin', '/admin/posts', '/admin/posts/new', '/admin/media', '/admin/settings', '/admin/tags']) {
        await page.goto(`${base}${path}`);
      }
      // The editor's script ran (it is a file, allowed by script-src 'self') and its live preview works.
      await page.goto(`${base}/admin/posts/new`);
      await page.fill('textarea[name=markdown]', '| x |\n|--:|\n| 1 |');
      await page.waitForFunction(() => document.querySelector('[data-preview]')?.innerHTML.includes('align-right'), null, {
        timeout: 10_000,
      });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
