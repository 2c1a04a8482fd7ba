import { jest } from '@jest/globals';
import request from 'supertest';

import { daysAgo, SITE_URL, startTestApp, type TestApp } from './support/test-app.js';

describe('reader site', () => {
  let t: TestApp;
  let firstSteps: { id: number };

  beforeAll(async () => {
    t = await startTestApp();
    await t.run(() =>
      t.services.settings.update({ title: 'Ada Writes', description: 'Notes on engines', authorName: 'Ada', postsPerPage: 2 }),
    );
    firstSteps = await t.createPost({
      title: 'First steps',
      markdown: 'The **first** post.',
      tags: ['Engines', 'Notes'],
      publishedAt: daysAgo(3),
    });
    await t.createPost({
      title: 'Second thoughts',
      markdown: '## A heading\n\n```js\nconst x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nText.[^n]\n\n[^n]: A note.',
      tags: ['Engines'],
      publishedAt: daysAgo(2),
    });
    await t.createPost({ title: 'Third time', markdown: 'Third. </script><script>alert(1)</script>', publishedAt: daysAgo(1) });
    await t.createPage({ title: 'About', markdown: 'About **me**.', navOrder: 1 });
    await t.createPage({ title: 'Resume', markdown: 'Work.', navOrder: 2 });
    await t.createPage({ title: 'Hidden page', markdown: 'Not in menu.' });
  });
  afterAll(() => t.close());

  it('serves the home page with the newest posts, the menu and the site settings', async () => {
    const res = await request(t.server)
      .get('/')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('<title>Ada Writes</title>');
    expect(res.text).toContain('Notes on engines');
    expect(res.text.indexOf('Third time')).toBeLessThan(res.text.indexOf('Second thoughts'));
    expect(res.text).not.toContain('First steps'); // page 2
    expect(res.text).toMatch(/<nav aria-label="Main">[\s\S]*href="\/about">About[\s\S]*href="\/resume">Resume/);
    expect(res.text).not.toContain('Hidden page');
    expect(res.text).toContain(`<link rel="canonical" href="${SITE_URL}/">`);
    expect(res.text).toContain('<main id="main"');
    expect(res.text).toContain('href="/?page&#x3D;2"');
  });

  it('paginates and 404s on pages that do not exist', async () => {
    const page2 = await request(t.server).get('/?page=2').expect(200);
    expect(page2.text).toContain('First steps');
    expect(page2.text).toContain('Page 2 of 2');
    expect(page2.text).toContain('href="/"');
    // Handlebars escapes "=" in attributes; browsers read &#x3D; as "=".
    expect(page2.text).toContain(`<link rel="canonical" href="${SITE_URL}/?page&#x3D;2">`);
    for (const bad of ['3', '0', '-1', 'abc', '1.5', '99999999999', '']) {
      await request(t.server).get(`/?page=${bad}`).expect(404);
    }
    await request(t.server).get('/?page=1').expect(200);
  });

  it('renders a post with date, reading time, tags, neighbours and meta', async () => {
    const res = await request(t.server).get('/posts/second-thoughts').expect(200);
    expect(res.text).toContain('<h1 class="p-name">Second thoughts</h1>');
    expect(res.text).toMatch(/<time class="dt-published" datetime="\d{4}-\d\d-\d\dT[^"]+">/);
    expect(res.text).toContain('1 min read');
    expect(res.text).toContain('href="/tags/engines">#<span class="p-category">Engines</span></a>');
    expect(res.text).toMatch(/rel="prev" href="\/posts\/first-steps"/);
    expect(res.text).toMatch(/rel="next" href="\/posts\/third-time"/);
    expect(res.text).toContain('<pre class="hljs" tabindex="0"><code class="language-js">');
    expect(res.text).toContain('<table tabindex="0">');
    expect(res.text).toContain('class="footnotes"');
    expect(res.text).toContain('<meta property="og:type" content="article">');
    expect(res.text).toContain(`<meta property="og:url" content="${SITE_URL}/posts/second-thoughts">`);
    // A published post has its social card (social-cards.e2e-spec.ts): the large summary.
    expect(res.text).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(res.text).toMatch(/<meta property="og:image" content="http:\/\/blog\.test\/media\/\d+\/card-second-thoughts\.png">/);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(res.text)![1]);
    expect(ld).toMatchObject({
      '@type': 'BlogPosting',
      headline: 'Second thoughts',
      author: { name: 'Ada' },
      keywords: 'Engines',
    });
  });

  it('never lets post content or titles escape into script', async () => {
    const res = await request(t.server).get('/posts/third-time').expect(200);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).not.toMatch(/<\/script><script>/);
  });

  it('counts views without cookies, served from the page cache or not, and shows them only as stored', async () => {
    // The app's clock held at one instant: views are counted per UTC day, and a run across midnight
    // would otherwise count them on a day other than the one expected below.
    const now = t.clock.now();
    const held = jest.spyOn(t.clock, 'now').mockReturnValue(now);
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
    const first = await request(t.server).get('/posts/first-steps').set('User-Agent', ua).expect(200);
    expect(first.headers['set-cookie']).toBeUndefined();
    // The page shows the stored count (view-counts-shown.e2e-spec.ts), never the pending views.
    const shown = /Read (\d+) times?/.exec(first.text)?.[1];
    expect(shown).toBe('0');
    await request(t.server).get('/posts/first-steps').set('User-Agent', 'Googlebot/2.1').expect(200);
    // The second human view is a cache hit: the controller does not run, the view still counts.
    const third = await request(t.server).get('/posts/first-steps').set('User-Agent', ua).expect(200);
    expect(third.headers.etag).toBe(first.headers.etag);
    expect(await t.services.views.total(firstSteps.id)).toBe(2);
    await t.services.views.flush();
    const rows = await t.run(() =>
      t.services.posts['em'].getConnection().execute<{ day: string; count: number }[]>('SELECT day, count FROM post_view'),
    );
    expect(rows).toEqual([{ day: now.toISOString().slice(0, 10), count: 2 }]);
    await request(t.server).get('/posts/first-steps').set('User-Agent', ua).expect(200);
    expect(await t.services.views.total(firstSteps.id)).toBe(3);
    held.mockRestore();
  });

  it('lists tags and the posts of one tag', async () => {
    const tags = await request(t.server).get('/tags').expect(200);
    expect(tags.text).toMatch(/href="\/tags\/engines">#Engines<\/a> <span class="muted">\(2\)/);
    const tag = await request(t.server).get('/tags/engines').expect(200);
    expect(tag.text).toContain('Posts tagged <q>Engines</q>');
    expect(tag.text).toContain('Second thoughts');
    expect(tag.text).toContain('First steps');
    expect(tag.text).not.toContain('Third time');
    await request(t.server).get('/tags/engines?page=2').expect(404);
    await request(t.server).get('/tags/no-such-tag').expect(404);
  });

  it('serves pages at /:slug, including unpublished-menu pages, and 404s on unknown slugs', async () => {
    const about = await request(t.server).get('/about').expect(200);
    expect(about.text).toContain('<h1>About</h1>');
    expect(about.text).toContain('About <strong>me</strong>.');
    await request(t.server).get('/hidden-page').expect(200);
    const missing = await request(t.server)
      .get('/no-such-page')
      .expect(404)
      .expect('Content-Type', /text\/html/);
    expect(missing.text).toContain('Page not found');
    expect(missing.text).toContain('<a class="site-title" href="/">Ada Writes</a>');
    await request(t.server).get('/posts/no-such-post').expect(404);
    await request(t.server).get('/a/b/c').expect(404);
  });

  it('serves robots.txt and the stylesheet', async () => {
    const robots = await request(t.server)
      .get('/robots.txt')
      .expect(200)
      .expect('Content-Type', /text\/plain/);
    expect(robots.text).toContain(`Sitemap: ${SITE_URL}/sitemap.xml`);
    expect(robots.text).toContain('Disallow: /admin');
    const css = await request(t.server)
      .get('/static/css/site.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
    expect(css.text).toContain('prefers-color-scheme: dark');
    await request(t.server).get('/static/css/missing.css').expect(404);
    await request(t.server).get('/static/../package.json').expect(404);
  });

  it('answers /healthz while the database answers', async () => {
    const res = await request(t.server).get('/healthz').expect(200);
    expect(res.text).toBe('ok');
  });
});
