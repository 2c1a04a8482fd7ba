import { parseFragment, type DefaultTreeAdapterTypes as T } from 'parse5';

import { renderMarkdown } from './markdown.renderer.js';
import { MATHML_ALLOWED } from './math.js';

const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';

/** Every MathML element of the HTML as parsed by a browser, with its attributes. */
function mathElements(html: string): { name: string; attrs: Record<string, string> }[] {
  const found: { name: string; attrs: Record<string, string> }[] = [];
  const visit = (nodes: T.ChildNode[]) => {
    for (const node of nodes) {
      if (!('tagName' in node)) continue;
      if (node.namespaceURI === MATHML_NS)
        found.push({ name: node.tagName, attrs: Object.fromEntries(node.attrs.map((a) => [a.name, a.value])) });
      visit(node.childNodes);
    }
  };
  visit(parseFragment(html).childNodes);
  return found;
}

describe('math in Markdown', () => {
  it('renders $…$ inline and $$…$$ displayed as MathML, with the TeX kept as its annotation', () => {
    const { html } = renderMarkdown('Euler: $e^{i\\pi} + 1 = 0$.\n\n$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n');
    expect(html).toContain(
      '<p>Euler: <span class="katex"><math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mrow><msup><mi>e</mi>',
    );
    expect(html).toContain('<annotation encoding="application/x-tex">e^{i\\pi} + 1 = 0</annotation>');
    expect(html).toMatch(/<div class="math-display"><span class="katex"><math xmlns="[^"]+" display="block">/);
    expect(html).toContain('<annotation encoding="application/x-tex">\\int_0^1 x\\,dx = \\frac{1}{2}</annotation>');
    const inParagraph = renderMarkdown('Inline display $$x^2$$ in a paragraph.').html;
    expect(inParagraph).toMatch(/^<p>Inline display <span class="math-display"><span class="katex"><math [^>]*display="block">/);
    expect(html).toContain('<mfrac><mn>1</mn><mn>2</mn></mfrac>');
    // No inline style, no SVG, no script: nothing the CSP would block or a browser would run.
    expect(html).not.toMatch(/\sstyle=|<svg|<script/);
  });

  it('never treats code spans or fenced code as math, nor prices', () => {
    const { html } = renderMarkdown('Write `$x$` or\n\n```\n$$y$$\n```\n\nIt costs $5 and $10.');
    expect(html).toContain('<code>$x$</code>');
    expect(html).toContain('<pre tabindex="0"><code>$$y$$\n</code></pre>');
    expect(html).toContain('It costs $5 and $10.');
    expect(html).not.toContain('<math');
  });

  it('shows invalid TeX as its source with a visible error, and the rest of the post renders', () => {
    const { html, wordCount } = renderMarkdown('Broken $\\frac{1}{$ here.\n\n$$\\undefinedmacro$$\n\nStill here.');
    expect(html).toContain(
      '<span class="math-error"><code>$\\frac{1}{$</code> <small class="math-error__message">TeX error: Unexpected end of input in a macro argument, expected \'}\' at end of input: \\frac{1}{</small></span>',
    );
    expect(html).toContain(
      '<code>$$\\undefinedmacro$$</code> <small class="math-error__message">TeX error: Undefined control sequence: \\undefinedmacro at position 1: \\undefinedmacro</small>',
    );
    expect(html).toContain('<p>Still here.</p>');
    expect(wordCount).toBeGreaterThan(0);
  });

  it('lets no formula link, load or style anything (trust is off)', () => {
    const { html } = renderMarkdown(
      '$\\href{javascript:alert(1)}{x}$ $\\url{https://evil.test}$ $\\includegraphics{https://evil.test/x.png}$ $\\htmlStyle{color:red}{y}$ $\\htmlClass{x}{y}$',
    );
    // Each shows as its command name in KaTeX's error colour; the arguments live on only as the TeX annotation.
    expect(html.match(/<mtext>\\(href|url|includegraphics|htmlStyle|htmlClass)<\/mtext>/g)).toHaveLength(5);
    expect(html).not.toMatch(/\s(href|src|style|class="x")=/);
  });

  it('keeps exactly the MathML KaTeX emits: elements and attribute values on the allow-list, nothing else', () => {
    const { html } = renderMarkdown(
      [
        '$\\sqrt[3]{x} \\sum_{i=0}^n i \\overrightarrow{AB} \\color{red}{x} \\mathbb{R} \\cancel{x} \\boxed{y}$',
        '$\\colorbox{yellow}{x} \\fcolorbox{red}{blue}{y} \\pmb{z} \\overbrace{abc}^{n} \\kern1em \\rule{1em}{2em}$',
        '$$\\begin{array}{c|l}a&b\\\\ \\hline c&d\\end{array} \\begin{cases}a&b\\\\c&d\\end{cases} \\tag{1}$$',
      ].join('\n\n'),
    );
    const elements = mathElements(html);
    expect(elements.length).toBeGreaterThan(50);
    for (const { name, attrs } of elements) {
      const rules = MATHML_ALLOWED[name];
      expect(rules).toBeDefined();
      for (const [attr, value] of Object.entries(attrs)) {
        const rule = rules![attr];
        expect([name, attr, rule !== undefined && (rule instanceof RegExp ? rule.test(value) : rule.includes(value))]).toEqual([
          name,
          attr,
          true,
        ]);
      }
    }
    // KaTeX's two style attributes (\pmb, \fcolorbox) are dropped, not passed on.
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('drops MathML written by hand that KaTeX would not emit, and bad attribute values', () => {
    const { html } = renderMarkdown(
      '<math><maction actiontype="statusline"><mi>x</mi></maction><mi mathvariant="x;y" href="https://e.test">y</mi><mstyle mathcolor="url(x)">z</mstyle></math>',
    );
    expect(html).not.toMatch(/maction|actiontype|mathvariant|href|mathcolor/);
    expect(html).toContain('<mi>y</mi>');
  });
});
