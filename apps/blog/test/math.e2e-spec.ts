import { jest } from '@jest/globals';
import request from 'supertest';

import { type Agent, loggedInAgent } from './support/admin-agent.js';
import { executableIn } from './support/html-safety.js';
import { startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(30_000);

const MARKDOWN = [
  'The identity $e^{i\\pi} + 1 = 0$ and a price of $5 or $10.',
  '',
  '$$',
  '\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}',
  '$$',
  '',
  'Not math: `$x$`, and',
  '',
  '```tex',
  '$$\\frac{a}{b}$$',
  '```',
  '',
  'Broken: $\\frac{1}{$ still saved.',
  '',
  'Hand-written: <math><mi mathvariant="x;y" style="color:red">z</mi><maction actiontype="toggle"><mi>w</mi></maction></math>',
].join('\n');

/** Math written in the editor, saved over HTTP, read on the post page: MathML, inert, no script. */
describe('math in posts', () => {
  let t: TestApp;
  let admin: Agent;
  let csrf: string;

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent: admin, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  it('saves TeX as MathML, shows invalid TeX with its error, and the page stays inert and cached', async () => {
    await admin
      .post('/admin/posts/new')
      .type('form')
      .send({ _csrf: csrf, title: 'Sums', slug: 'sums', markdown: MARKDOWN, tags: '', status: 'published', publishedAt: '' })
      .expect(303);

    const page = await request(t.server).get('/posts/sums').expect(200);
    const html = page.text;
    expect(html).toMatch(
      /<span class="katex"><math xmlns="http:\/\/www\.w3\.org\/1998\/Math\/MathML"><semantics><mrow><msup><mi>e<\/mi>/,
    );
    expect(html).toMatch(/<div class="math-display"><span class="katex"><math [^>]*display="block">[\s\S]*<mfrac>/);
    expect(html).toContain('a price of $5 or $10.');
    expect(html).toContain('<code>$x$</code>');
    expect(html).toMatch(/<code class="language-tex">[^<]*\$\$/);
    expect(html).toContain('<span class="math-error"><code>$\\frac{1}{$</code> <small class="math-error__message">TeX error:');
    expect(html).toContain('still saved.');

    // The page passes the same safety check as every page: MathML only as KaTeX emits it.
    expect(executableIn(html, { page: 'site/post' })).toEqual([]);
    expect(html).not.toMatch(/<script(?! type="application\/ld\+json")|\sstyle=/);
    // The CSP is not loosened for math.
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-hashes/);
    // Cached like any page.
    expect(page.headers['cache-control']).toBe('public, max-age=0, s-maxage=60');

    // The editor's preview renders the same.
    const preview = await admin
      .post('/admin/preview')
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', csrf)
      .send({ markdown: MARKDOWN })
      .expect(200);
    expect((preview.body as { html: string }).html).toContain('<mfrac>');
  });

  it('the safety check catches MathML beyond what KaTeX emits', () => {
    const katexLike = '<p><span class="katex"><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math></span></p>';
    expect(executableIn(katexLike)).toEqual([]);
    expect(executableIn('<math><mi style="color:red">x</mi></math>')).not.toEqual([]);
    expect(executableIn('<math><maction actiontype="toggle"><mi>x</mi></maction></math>')).not.toEqual([]);
    expect(executableIn('<math><mi mathvariant="x y">x</mi></math>')).not.toEqual([]);
  });
});
