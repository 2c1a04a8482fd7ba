import { renderMarkdown } from './markdown.renderer.js';

describe('renderMarkdown', () => {
  it('renders tables, footnotes and heading anchors', () => {
    const { html } = renderMarkdown(
      ['## Getting started', '', '| a | b |', '|---|--:|', '| 1 | 2 |', '', 'Claim.[^1]', '', '[^1]: Source.'].join('\n'),
    );
    expect(html).toContain(
      '<h2 id="getting-started">Getting started <a class="header-anchor" href="#getting-started" aria-label="Link to this section">#</a></h2>',
    );
    expect(html).toContain('<table tabindex="0">');
    expect(html).toContain('<td class="align-right">2</td>');
    expect(html).not.toContain('style=');
    expect(html).toMatch(/<sup class="footnote-ref"><a href="#fn1" id="fnref1">\[1\]<\/a><\/sup>/);
    expect(html).toContain('<section class="footnotes">');
  });

  it('highlights fenced code on the server and escapes unknown languages', () => {
    const ts = renderMarkdown('```ts\nconst x: number = 1;\n```').html;
    expect(ts).toContain('<pre class="hljs" tabindex="0"><code class="language-ts">');
    expect(ts).toContain('<span class="hljs-keyword">const</span>');
    const unknown = renderMarkdown('```nosuchlang\n<b>&</b>\n```').html;
    expect(unknown).toContain('&lt;b&gt;&amp;&lt;/b&gt;');
  });

  it('removes scripts, event handlers and javascript: links from raw HTML and markdown', () => {
    const { html } = renderMarkdown(
      '<script>alert(1)</script><img src=x onerror="alert(1)"> [x](javascript:alert(1)) <a href="JaVaScRiPt:alert(1)">y</a>',
    );
    expect(html).not.toMatch(/<script|onerror|href="javascript:/i);
    // markdown-it refuses the javascript: link and leaves it as inert text.
    expect(html).toContain('[x](javascript:alert(1))');
    expect(html).toContain('<a>y</a>');
  });

  it('derives excerpt, word count and reading time from the text, not the markup', () => {
    const words = Array.from({ length: 460 }, (_, i) => `word${i}`).join(' ');
    const body = renderMarkdown(`# Title\n\n**${words}**`);
    expect(body.wordCount).toBe(461);
    expect(body.readingMinutes).toBe(2);
    expect(body.excerpt.endsWith('…')).toBe(true);
    expect(body.excerpt).not.toContain('<');
    expect(Array.from(body.excerpt).length).toBeLessThanOrEqual(201);
  });

  it('keeps short texts whole and counts an empty post as one minute', () => {
    expect(renderMarkdown('Hello *world*').excerpt).toBe('Hello world');
    expect(renderMarkdown('').readingMinutes).toBe(1);
  });
});
