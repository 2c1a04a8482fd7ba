import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ImportError } from './bundle.js';
import { readImport } from './read-import.js';

const md = (path: string, text: string) => ({ path, text });

describe('readImport', () => {
  it('reads YAML and TOML front matter, Jekyll file names, page bundles and aliases', () => {
    const bundle = readImport('site', [
      md(
        'content/posts/a/index.md',
        '+++\ntitle = "TOML"\ndate = 2024-01-02T03:04:05Z\ntags = ["x"]\naliases = ["/old/a-old/"]\n+++\nBody',
      ),
      md('_posts/2020-05-06-jekyll-name.markdown', '---\ntitle: J\ntags: one two\nredirect_from: /j-old.html\n---\nText'),
      md('about.md', '---\ntitle: About\nlayout: page\n---\nMe'),
      md('content/posts/_index.md', '---\ntitle: Section\n---\n'),
    ]);
    expect(bundle.format).toBe('markdown');
    expect(bundle.posts.map((p) => [p.slug, p.tags, p.redirects, p.publishedAt?.toISOString()])).toEqual([
      ['jekyll-name', ['one', 'two'], ['j-old'], '2020-05-06T00:00:00.000Z'],
      ['a', ['x'], ['a-old'], '2024-01-02T03:04:05.000Z'],
    ]);
    expect(bundle.pages.map((p) => p.slug)).toEqual(['about']);
  });

  it("takes the summary from Hugo's summary, Jekyll's excerpt or a description, in that order; none: undefined", () => {
    const bundle = readImport('site', [
      md('content/posts/hugo.md', '+++\ntitle = "H"\nsummary = "Hugo summary"\ndescription = "Meta text"\n+++\nBody'),
      md('_posts/2020-05-06-jekyll.md', '---\ntitle: J\nexcerpt: "Jekyll <b>excerpt</b>"\ndescription: Meta\n---\nText'),
      md('posts/eleventy.md', '---\ntitle: E\ndescription: Eleventy description\n---\nText'),
      md('posts/plain.md', '---\ntitle: P\nsummary: ""\n---\nText'),
      md('about.md', '---\ntitle: About\nlayout: page\ndescription: Who writes\n---\nMe'),
    ]);
    expect(Object.fromEntries(bundle.posts.map((p) => [p.slug, p.summary]))).toEqual({
      hugo: 'Hugo summary',
      jekyll: 'Jekyll <b>excerpt</b>', // plain text: shown escaped, never as markup
      eleventy: 'Eleventy description',
      plain: undefined,
    });
    expect(bundle.pages[0].summary).toBe('Who writes');
  });

  it("takes a Ghost post's custom excerpt as its summary", () => {
    const post = (custom_excerpt: unknown, slug: string) => ({
      id: slug,
      title: slug,
      slug,
      status: 'published',
      html: '<p>x</p>',
      custom_excerpt,
    });
    const doc = { db: [{ data: { posts: [post('Ghost excerpt', 'a'), post(null, 'b')] } }] };
    expect(readImport('g.json', [md('g.json', JSON.stringify(doc))]).posts.map((p) => p.summary)).toEqual(['Ghost excerpt', '']);
  });

  it("maps Ghost's navigation: pages keep their place, other addresses become links; the rest and the footer are said", () => {
    const path = join(process.cwd(), 'apps/blog/test/fixtures/import/ghost-export.json');
    const bundle = readImport('ghost-export.json', [md('ghost-export.json', readFileSync(path, 'utf8'))]);
    expect(bundle.pages.map((p) => [p.slug, p.navOrder])).toEqual([['colophon', 1]]);
    expect(bundle.settings?.navLinks).toEqual([
      { label: 'Home', url: '/' },
      { label: 'Migration notes', url: '/tags/migration' },
      { label: 'Start here', url: '/posts/coming-from-ghost' },
      { label: 'Ghost', url: 'https://ghost.org/' },
    ]);
    expect(bundle.posts[0].summary).toBe('Why we moved, in one line.');
    expect(bundle.warnings.filter((w) => w.includes('menu'))).toEqual([
      'ghost-export.json: menu "navigation": its links now come after its pages (this blog\'s menu shows pages first).',
      'ghost-export.json: menu "navigation": items left out: "Members" (/members/, an address of the old blog with nothing here).',
      'ghost-export.json: the secondary navigation left out (this blog has one menu): "Sign up" (#/portal/signup).',
    ]);
  });

  it('reads a date and time without an offset as UTC', () => {
    const [post] = readImport('site', [md('p.md', '---\ntitle: T\ndate: 2024-03-04 05:06:07\n---\n')]).posts;
    expect(post.publishedAt?.toISOString()).toBe('2024-03-04T05:06:07.000Z');
  });

  it('names the file when front matter is broken or a title is missing', () => {
    expect(() => readImport('site', [md('posts/bad.md', '---\ntitle: [unclosed\n---\n')])).toThrow(
      /^site, posts\/bad\.md: its front matter cannot be read/,
    );
    expect(() => readImport('site', [md('posts/none.md', '---\ndate: 2020-01-01\n---\n')])).toThrow(
      'site, posts/none.md: has no title in its front matter.',
    );
    expect(() => readImport('site', [md('posts/when.md', '---\ntitle: T\ndate: someday\n---\n')])).toThrow(
      'site, posts/when.md: date "someday" is not a date.',
    );
  });

  it('refuses JSON that is neither format, and an empty selection', () => {
    expect(() => readImport('x.json', [md('x.json', '[]')])).toThrow(ImportError);
    expect(() => readImport('x', [])).toThrow('x: nothing to import: no file was given.');
    expect(() => readImport('site.zip', [md('site.zip', 'PK\u0003\u0004rest')])).toThrow(
      'site.zip: this is a .zip archive; unzip it',
    );
  });

  it('turns a Ghost post without html into Markdown from its mobiledoc', () => {
    const mobiledoc = JSON.stringify({
      version: '0.3.1',
      markups: [['em']],
      cards: [['image', { src: '/i.png', alt: 'I' }]],
      sections: [
        [1, 'h2', [[0, [], 0, 'Title']]],
        [1, 'p', [[0, [0], 1, 'soft']]],
        [3, 'ol', [[[0, [], 0, 'a']], [[0, [], 0, 'b']]]],
        [10, 0],
      ],
    });
    const doc = { db: [{ data: { posts: [{ id: '1', title: 'M', slug: 'm', status: 'draft', mobiledoc }] } }] };
    const [post] = readImport('g.json', [md('g.json', JSON.stringify(doc))]).posts;
    expect(post.markdown).toBe('## Title\n\n_soft_\n\n1. a\n2. b\n\n![I](/i.png)');
    expect(post.status).toBe('draft');
  });

  it('refuses an unknown Ghost status, naming the post', () => {
    const doc = { db: [{ data: { posts: [{ id: '1', title: 'M', slug: 'm', status: 'archived', html: '<p>x</p>' }] } }] };
    expect(() => readImport('g.json', [md('g.json', JSON.stringify(doc))])).toThrow(
      'g.json, post 1 (m): unknown status "archived".',
    );
  });

  it('turns Hugo shortcodes and Liquid tags into what they mean, and names the line of any other it leaves out', () => {
    const bundle = readImport('site', [
      md('content/posts/target.md', '---\ntitle: Target\nslug: the-target\n---\nHere.'),
      md('_posts/2020-01-02-old-one.md', '---\ntitle: Old\n---\nOld.'),
      md(
        'content/posts/source.md',
        [
          '---',
          'title: Source',
          '---',
          '[t]({{< ref "posts/target.md" >}}) [a]({{< relref "/posts/target#part" >}}) [j]({% post_url 2020-01-02-old-one %})',
          '{{< figure src="/i/a.jpg" alt="A" caption="Cap" >}}',
          '{{< gist user 123 >}} {{< youtube abc >}} {{< tweet user="u" id="9" >}} {{< vimeo 7 >}}',
          '{{< highlight go >}}',
          'x := 1',
          '{{< /highlight >}}',
          '{{< unknown a="b" >}}',
          '{{% notice %}}Inner text{{% /notice %}}',
          '{% include x.html %}',
          '```',
          '{{</* gist user 123 */>}} {{< youtube raw >}}',
          '```',
        ].join('\n'),
      ),
    ]);
    const source = bundle.posts.find((p) => p.slug === 'source')!;
    expect(source.markdown.split('\n')).toEqual([
      '[t](/posts/the-target) [a](/posts/the-target#part) [j](/posts/old-one)',
      '![A](/i/a.jpg)',
      '',
      '_Cap_',
      '[Gist user/123](https://gist.github.com/user/123) [Video on YouTube](https://www.youtube.com/watch?v=abc) [Post on X](https://x.com/u/status/9) [Video on Vimeo](https://vimeo.com/7)',
      '```go',
      'x := 1',
      '```',
      '',
      'Inner text',
      '',
      '```',
      '{{< gist user 123 >}} {{< youtube raw >}}',
      '```',
    ]);
    expect(bundle.warnings).toEqual([
      'site, content/posts/source.md, line 10: {{< unknown >}} has no meaning here; left out of the page.',
      'site, content/posts/source.md, line 11: {{< notice >}} has no meaning here; left out of the page.',
      'site, content/posts/source.md, line 12: {% include %} has no meaning here; left out of the page.',
    ]);
  });
});
