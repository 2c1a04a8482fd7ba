import { jest } from '@jest/globals';
import MarkdownIt from 'markdown-it';
import request from 'supertest';

import { renderMarkdown } from '@app/content';

import { XSS_GROUPS, XSS_VECTORS } from './fixtures/xss-vectors.js';
import { loggedInAgent, type Agent } from './support/admin-agent.js';
import { launchBrowser } from './support/browser.js';
import { executableIn } from './support/html-safety.js';
import { freePort } from './support/process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Findings on a whole page of ours, rendered from `view`: see SafetyOptions.page. */
const page = (html: string, view: string) => executableIn(html, { page: view });

/** Findings per input, only for the inputs that produced any: `{}` is the passing value. */
function unsafe(results: [string, string[]][]): Record<string, string[]> {
  return Object.fromEntries(results.filter(([, findings]) => findings.length > 0));
}

/** A tag name with letters in it, made from a vector, within the tag length limit. */
const tagFor = (i: number, vector: string) => `t${i} ${vector}`.slice(0, 60);

jest.setTimeout(30_000);

describe('XSS corpus', () => {
  it(`has at least 150 vectors, in every family`, () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(XSS_VECTORS).size).toBe(XSS_VECTORS.length);
    for (const group of Object.values(XSS_GROUPS)) expect(group.length).toBeGreaterThanOrEqual(15);
  });

  it('the checker is not blind: it flags most vectors when Markdown is rendered without sanitizing', () => {
    const unsafeRenderer = new MarkdownIt({ html: true, linkify: true });
    // markdown-it's own link validation already stops javascript: in Markdown links, so turn it off.
    unsafeRenderer.validateLink = () => true;
    // Some vectors are inert after any Markdown renderer (escaped text, encodings): most are not.
    const flagged = XSS_VECTORS.filter((v) => executableIn(unsafeRenderer.render(v)).length > 0);
    expect(flagged.length / XSS_VECTORS.length).toBeGreaterThan(0.75);
    const rawHtml = [...XSS_GROUPS.scriptTags, ...XSS_GROUPS.eventHandlers, ...XSS_GROUPS.urls, ...XSS_GROUPS.svgAndMath];
    const flaggedRaw = rawHtml.filter((v) => executableIn(v).length > 0);
    expect(flaggedRaw.length / rawHtml.length).toBeGreaterThan(0.9);
  });

  it('the Markdown pipeline leaves nothing executable, alone or inside other Markdown', async () => {
    const results: [string, string[]][] = [];
    for (const v of XSS_VECTORS) {
      for (const source of [v, `Text before ${v} after`, `- item ${v}`, `> ${v}`, `**${v}**`, `[${v}](https://ok.example)`]) {
        results.push([source, executableIn((await renderMarkdown(source)).html)]);
      }
    }
    expect(unsafe(results)).toEqual({});
  });

  describe('through the whole app', () => {
    let t: TestApp;
    let admin: Agent;
    let csrf: string;
    let base: string;
    beforeAll(async () => {
      t = await startTestApp();
      // Listening once: supertest would otherwise open a new listener for every request.
      const port = await freePort();
      await t.app.listen(port, '127.0.0.1');
      base = `http://127.0.0.1:${port}`;
      for (const [i, v] of XSS_VECTORS.entries()) {
        await t.createPost({ title: `${v.slice(0, 280)} word${i}`, slug: `v-${i}`, markdown: v, tags: [tagFor(i, v)] });
      }
      ({ agent: admin, csrf } = await loggedInAgent(t));
    }, 60_000);
    afterAll(() => t.close());

    it('post pages (title, body, tags, JSON-LD, meta) are inert', async () => {
      const results: [string, string[]][] = [];
      for (const [i, v] of XSS_VECTORS.entries()) {
        const res = await request(t.server).get(`/posts/v-${i}`).expect(200);
        results.push([v, page(res.text, 'site/post')]);
      }
      expect(unsafe(results)).toEqual({});
    });

    it('lists, tag pages and feeds-as-HTML readers see are inert', async () => {
      const results: [string, string[]][] = [];
      const pages = Math.ceil(XSS_VECTORS.length / 10);
      for (let p = 1; p <= pages; p++) {
        results.push([`/?page=${p}`, page((await request(t.server).get(`/?page=${p}`).expect(200)).text, 'site/home')]);
      }
      const tags = (await request(t.server).get('/tags').expect(200)).text;
      results.push(['/tags', page(tags, 'site/tags')]);
      const tagLinks = [...new Set(tags.match(/\/tags\/[^"]+/g))];
      expect(tagLinks.length).toBeGreaterThan(XSS_VECTORS.length * 0.9);
      // Every fourth tag page: they show the same titles the post pages above already did.
      for (const link of tagLinks.filter((_, i) => i % 4 === 0))
        results.push([link, page((await request(t.server).get(link).expect(200)).text, 'site/tag')]);
      // Feed readers render content_html and summaries as HTML: the same sanitized HTML.
      const feed = (await request(t.server).get('/feed.json').expect(200)).body as { items: { content_html: string }[] };
      for (const item of feed.items) results.push(['feed.json item', executableIn(item.content_html)]);
      expect(unsafe(results)).toEqual({});
    });

    it('search results (the query echoed back, titles and snippets) are inert', async () => {
      const results: [string, string[]][] = [];
      for (const v of XSS_VECTORS) {
        const res = await request(t.server).get('/search').query({ q: v }).expect(200);
        results.push([`q=${v}`, page(res.text, 'site/search')]);
      }
      // Results whose titles and snippets are highlighted around the vectors: "alert" is in most of them.
      const first = await request(t.server).get('/search').query({ q: 'alert' }).expect(200);
      const total = Number(/(\d+) results? for/.exec(first.text)?.[1]);
      expect(total).toBeGreaterThan(XSS_VECTORS.length / 2);
      for (let p = 1; p <= Math.ceil(total / 20); p++) {
        const res = await request(t.server).get('/search').query({ q: 'alert', page: p }).expect(200);
        expect(res.text).toContain('<mark>');
        results.push([`q=alert page ${p}`, page(res.text, 'site/search')]);
      }
      expect(unsafe(results)).toEqual({});
    });

    it('the admin (dashboard, lists, editor, tags, revisions) is inert for the author too', async () => {
      const results: [string, string[]][] = [];
      for (const [path, view] of [
        ['/admin', 'admin/dashboard'],
        ['/admin/posts', 'admin/posts'],
        ['/admin/posts?page=2', 'admin/posts'],
        ['/admin/tags', 'admin/tags'],
        ['/admin/media', 'admin/media'],
      ]) {
        results.push([path, page((await admin.get(path).expect(200)).text, view!)]);
      }
      const ids = ((await admin.get('/admin/posts').expect(200)).text.match(/\/admin\/posts\/(\d+)\/edit/g) ?? []).slice(0, 40);
      expect(ids.length).toBeGreaterThan(10);
      for (const edit of ids) {
        results.push([edit, page((await admin.get(edit).expect(200)).text, 'admin/post-edit')]);
        const revisions = edit.replace('/edit', '/revisions');
        results.push([revisions, page((await admin.get(revisions).expect(200)).text, 'admin/revisions')]);
      }
      for (const v of XSS_VECTORS.slice(0, 60)) {
        const res = await admin
          .post('/admin/preview')
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', csrf)
          .send({ markdown: v })
          .expect(200);
        results.push([`preview ${v}`, executableIn((res.body as { html: string }).html)]);
      }
      expect(unsafe(results)).toEqual({});
    });

    it('site settings (title, description, author, bio, menu labels) are inert everywhere they show', async () => {
      const results: [string, string[]][] = [];
      try {
        // Each field gets every vector once, five fields at a time.
        const at = (i: number) => XSS_VECTORS[i % XSS_VECTORS.length];
        for (let i = 0; i < XSS_VECTORS.length; i += 5) {
          await t.run(() =>
            t.services.settings.update({
              title: at(i).slice(0, 200),
              description: at(i + 1),
              authorName: at(i + 2).slice(0, 200),
              authorBio: at(i + 3),
              navLinks: [{ label: at(i + 4).slice(0, 100), url: '/about' }],
              socialLinks: [{ label: at(i).slice(0, 100), url: 'https://social.example/me' }],
            }),
          );
          for (const [path, view] of [
            ['/', 'site/home'],
            ['/posts/v-0', 'site/post'],
            ['/nope', 'site/error'],
          ]) {
            results.push([`${path} ${i}`, page((await request(t.server).get(path!)).text, view!)]);
          }
        }
        results.push(['/admin/settings', page((await admin.get('/admin/settings').expect(200)).text, 'admin/settings')]);
      } finally {
        await t.run(() =>
          t.services.settings.update({
            title: 'Inkstone',
            description: '',
            authorName: 'A',
            authorBio: '',
            navLinks: [],
            socialLinks: [],
          }),
        );
      }
      expect(unsafe(results)).toEqual({});
    }, 60_000);

    it('refuses menu and social links that are not http(s), mailto: or a /path, however they are disguised', async () => {
      const { agent, csrf } = await loggedInAgent(t);
      const urlVectors = XSS_GROUPS.urls.map((v) => /(?:href|src|data|action|code|poster)\s*=\s*["']?([^"'>]+)/i.exec(v)?.[1]);
      const disguised = [
        ...urlVectors.filter((u): u is string => !!u && !/^(https?:|mailto:)/i.test(u)),
        'javascript:alert(1)',
        ' javascript:alert(1)',
        '/\t/evil.example',
        '/\\evil.example',
        '//evil.example',
        '/\n/evil.example',
      ];
      for (const url of disguised) {
        const res = await agent
          .post('/admin/settings')
          .type('form')
          .send({ _csrf: csrf, title: 'Inkstone', postsPerPage: '10', language: 'en', navLinks: `Bad | ${url}` });
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
      }
      const home = await request(t.server).get('/').expect(200);
      expect(home.text).not.toContain('evil.example');
    });

    it('the page checker is not blind: markup no template emits, unescaped into a title, a tag or a setting, is flagged', async () => {
      await t.createPost({ title: 'Probe title', slug: 'probe', markdown: 'Probe body', tags: ['Probe tag'] });
      await t.run(() => t.services.settings.update({ title: 'Probe site' }));
      try {
        // What a template that printed these fields raw ({{{ }}} instead of {{ }}) would put on the page.
        const injected: Record<string, string> = {
          input: '<input name="probe">',
          svg: '<svg viewBox="0 0 1 1"><rect width="1" height="1"></rect></svg>',
          'link to another site': '<link rel="stylesheet" href="https://evil.example/x.css">',
          'script from /static': '<script src="/static/x.js"></script>',
          // A copy of an element the templates do emit, once: the copy is one too many.
          'second canonical link': '<link rel="canonical" href="https://evil.example/">',
        };
        const places: [string, string, string][] = [
          ['/posts/probe', 'site/post', 'Probe title'],
          ['/posts/probe', 'site/post', 'Probe tag'],
          ['/posts/probe', 'site/post', 'Probe site'],
          ['/tags/probe-tag', 'site/tag', 'Probe tag'],
          ['/', 'site/home', 'Probe site'],
          // The admin's tag page is 6 MB by now (every tag lists every other): its posts list shows titles too.
          ['/admin/posts?q=Probe', 'admin/posts', 'Probe title'],
        ];
        const flagged: Record<string, boolean> = {};
        const expected: Record<string, boolean> = {};
        for (const [path, view, text] of places) {
          const html = (await admin.get(path).expect(200)).text;
          expect({ path, clean: page(html, view) }).toEqual({ path, clean: [] });
          for (const [kind, markup] of Object.entries(injected)) {
            // Right after the field's text in the body (in <title> any markup is text), where the raw field would be.
            const body = html.indexOf('<body');
            const tampered =
              html.slice(0, body) + html.slice(body).replace(new RegExp(`>([^<]*)${text}`), (m) => `${m} ${markup}`);
            expect(tampered).not.toBe(html);
            const key = `${kind} in "${text}" on ${path}`;
            flagged[key] = page(tampered, view).length > 0;
            expected[key] = true;
          }
        }
        expect(flagged).toEqual(expected);
      } finally {
        await t.run(() => t.services.settings.update({ title: 'Inkstone' }));
      }
    });

    // Without Chromium this fails with the command that installs it: never a skip.
    it('a real browser, with the CSP switched off, runs nothing from any of them', async () => {
      const browser = await launchBrowser();
      try {
        // bypassCSP: this checks the sanitizer alone; the CSP is a second wall on top of it.
        const context = await browser.newContext({ bypassCSP: true });
        const ran: string[] = [];
        const external: string[] = [];
        await context.exposeBinding('__xssRan', (_source, what: string) => void ran.push(what));
        await context.addInitScript(() => {
          const record = (name: string) =>
            function (...args: unknown[]) {
              (window as unknown as { __xssRan: (w: string) => void }).__xssRan(
                `${name}(${args.join(',')}) on ${location.pathname}`,
              );
            };
          window.alert = record('alert');
          window.confirm = record('confirm') as unknown as typeof window.confirm;
          window.prompt = record('prompt') as unknown as typeof window.prompt;
        });
        await context.route('**/*', (route) => {
          const url = route.request().url();
          if (url.startsWith(base)) return route.continue();
          external.push(url);
          return route.abort();
        });
        const pageInBrowser = await context.newPage();
        pageInBrowser.on('dialog', (d) => {
          ran.push(`dialog ${d.message()}`);
          void d.dismiss();
        });
        const paths = [
          '/',
          '/?page=2',
          '/tags',
          // A sample: every fourth post, every twentieth query.
          ...XSS_VECTORS.map((_, i) => `/posts/v-${i}`).filter((_, i) => i % 4 === 0),
          ...XSS_VECTORS.filter((_, i) => i % 20 === 0).map((v) => `/search?q=${encodeURIComponent(v)}`),
          '/search?q=word1',
        ];
        for (const path of paths) {
          await pageInBrowser.goto(`${base}${path}`, { waitUntil: 'load' });
          // Give focus, hover and autofocus handlers their chance.
          await pageInBrowser.mouse.move(100, 200);
          await pageInBrowser.keyboard.press('Tab');
        }
        await new Promise((r) => setTimeout(r, 300));
        expect(ran).toEqual([]);
        // Only https images may leave the site; no script, frame or document from elsewhere.
        expect(external.filter((u) => !/^https:\/\/ok\.example\//.test(u))).toEqual([]);
        await context.close();
      } finally {
        await browser.close();
      }
    }, 120_000);
  });
});
