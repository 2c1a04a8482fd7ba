import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { VIEWS_DIR } from '../paths.js';
import { createViewEngine, type ViewOptions } from './handlebars-engine.js';
import { type PrecompiledViews, precompileViews } from './precompiled.js';

function render(engine: ReturnType<typeof createViewEngine>, file: string, options: ViewOptions): string {
  let out = '';
  engine(file, options, (err, html) => {
    if (err) throw err;
    out = html!;
  });
  return out;
}

describe('templates precompiled at build time', () => {
  let dir: string;
  let precompiled: PrecompiledViews;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-views-'));
    const file = join(dir, 'templates.mjs');
    writeFileSync(file, precompileViews(VIEWS_DIR));
    precompiled = (await import(pathToFileURL(file).href)) as PrecompiledViews;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers every template and partial', () => {
    const files = readdirSync(VIEWS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hbs'));
    expect(Object.keys(precompiled.templates).length + Object.keys(precompiled.partials).length).toBe(files.length);
    expect(precompiled.templates['site/post.hbs']).toBeDefined();
    expect(precompiled.partials.head).toBeDefined();
  });

  it('renders exactly what the run-time compiler renders, escaping included', () => {
    const options: ViewOptions = {
      site: { title: 'T <b>', url: 'http://blog.test', nav: [{ title: 'About', url: '/about' }], language: 'en' },
      meta: { title: '<script>x</script>', canonical: 'http://blog.test/' },
      post: { title: 'A & B', html: '<p>kept</p>', tags: [{ name: 'x', slug: 'x' }], publishedAt: new Date(0) },
      posts: [{ title: 'One', url: '/posts/one', excerpt: '"quoted"' }],
      query: '<q>',
    };
    const runtime = createViewEngine(VIEWS_DIR);
    const built = createViewEngine(VIEWS_DIR, precompiled);
    for (const template of Object.keys(precompiled.templates).filter((t) => !t.startsWith('layouts/'))) {
      const file = join(VIEWS_DIR, template);
      expect(render(built, file, options)).toBe(render(runtime, file, options));
    }
    const page = join(VIEWS_DIR, 'site', 'post.hbs');
    expect(render(built, page, { ...options, layout: 'main' })).toContain('A &amp; B');
  });
});
