import markdownItKatex from '@vscode/markdown-it-katex';
import katex from 'katex';
import type { MarkdownIt, RendererRule } from 'markdown-it';

/**
 * TeX math in Markdown: `$…$` inline, `$$…$$` displayed, rendered once at save by KaTeX to
 * MathML, which every current browser lays out natively: nothing runs in the reader's browser.
 *
 * Why MathML only and not KaTeX's HTML output: that output positions every glyph with inline
 * `style` attributes (10–20 per formula: `top`, `height`, `vertical-align`…) and draws radicals and
 * arrows as inline SVG. The site's Content-Security-Policy has no 'unsafe-inline' for styles, so
 * browsers drop those styles and the formulas fall apart; MathML needs neither.
 *
 * Parsing (where `$` opens math, `$5 and $10` not; code spans and fences never: markdown-it's
 * backtick rule and fence blocks take their text first) is @vscode/markdown-it-katex's, as VS Code
 * uses it; rendering is ours, so that an error shows the source and the message instead of
 * failing the save.
 */
export function mathPlugin(md: MarkdownIt): void {
  // The package is CommonJS with an ES-style default export.
  const module = markdownItKatex as unknown as KatexPlugin & { default?: KatexPlugin };
  const plugin = module.default ?? module;
  md.use(plugin, { katex });
  md.renderer.rules.math_inline = (tokens, idx) => renderTex(tokens[idx]!.content, false);
  // `$$…$$` inside a paragraph comes from the inline rule (no source map): a div there would end
  // the paragraph, so it is a span (displayed as a block by the theme).
  const display: RendererRule = (tokens, idx) => {
    const token = tokens[idx]!;
    const ownBlock = token.map !== null;
    const element = ownBlock ? 'div' : 'span';
    return `<${element} class="math-display">${renderTex(token.content, true)}</${element}>${ownBlock ? '\n' : ''}`;
  };
  md.renderer.rules.math_block = display;
  md.renderer.rules.math_inline_block = display;
}

type KatexPlugin = (md: MarkdownIt, options: { katex: typeof katex }) => void;

const KATEX_OPTIONS = {
  output: 'mathml',
  throwOnError: true,
  // No \href, \url, \includegraphics, \htmlClass…: a formula cannot link, load or style anything.
  trust: false,
  strict: 'ignore',
  // Bounds against pathological input (KaTeX's macro expansion and sizes).
  maxExpand: 1000,
  maxSize: 50,
} as const;

export function renderTex(source: string, displayMode: boolean): string {
  const tex = source.trim();
  try {
    return katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode });
  } catch (err) {
    // The author sees what they wrote and why it is not math; the save goes on.
    // KaTeX underlines the position with combining low lines (U+0332): plain text reads better.
    const message =
      err instanceof katex.ParseError
        ? err.message.replace(/^KaTeX parse error: /, '').replace(/\u0332/g, '')
        : 'could not render';
    const delimiter = displayMode ? '$$' : '$';
    return `<span class="math-error"><code>${escapeHtml(`${delimiter}${tex}${delimiter}`)}</code> <small class="math-error__message">TeX error: ${escapeHtml(message)}</small></span>`;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const LENGTH = /^[+-]?(\d+(\.\d*)?|\.\d+)(em|ex|pt|px|mu|%|width)?$/;
const COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)$/;
const BOOLEAN = ['true', 'false'];
const ALIGNS = /^(left|center|right)( (left|center|right))*$/;
const LINES = /^(none|solid|dashed)( (none|solid|dashed))*$/;
const MATHVARIANTS = [
  'normal',
  'bold',
  'italic',
  'bold-italic',
  'double-struck',
  'bold-fraktur',
  'script',
  'bold-script',
  'fraktur',
  'sans-serif',
  'bold-sans-serif',
  'sans-serif-italic',
  'sans-serif-bold-italic',
  'monospace',
];
const NOTATIONS =
  /^(box|roundedbox|circle|updiagonalstrike|downdiagonalstrike|horizontalstrike|verticalstrike|top|bottom|left|right|madruwb|actuarial|phasorangle)( (box|roundedbox|circle|updiagonalstrike|downdiagonalstrike|horizontalstrike|verticalstrike|top|bottom|left|right|madruwb|actuarial|phasorangle))*$/;

type AttributeRule = RegExp | readonly string[];

/**
 * The MathML KaTeX emits (output 'mathml', trust off), element by element with the values each
 * attribute may take: the sanitizer keeps exactly this and drops the rest (KaTeX's two `style`
 * attributes, \pmb's shadow and \fcolorbox's border, included).
 */
export const MATHML_ALLOWED: Record<string, Record<string, AttributeRule>> = {
  math: { xmlns: ['http://www.w3.org/1998/Math/MathML'], display: ['block'] },
  semantics: {},
  annotation: { encoding: ['application/x-tex'] },
  mrow: {},
  mi: { mathvariant: MATHVARIANTS },
  mn: { mathvariant: MATHVARIANTS },
  mtext: { mathvariant: MATHVARIANTS },
  mo: {
    stretchy: BOOLEAN,
    fence: BOOLEAN,
    separator: BOOLEAN,
    largeop: BOOLEAN,
    movablelimits: BOOLEAN,
    accent: BOOLEAN,
    mathvariant: MATHVARIANTS,
    minsize: LENGTH,
    maxsize: LENGTH,
    lspace: LENGTH,
    rspace: LENGTH,
  },
  msup: {},
  msub: {},
  msubsup: {},
  mfrac: { linethickness: LENGTH },
  msqrt: {},
  mroot: {},
  mover: { accent: BOOLEAN },
  munder: { accentunder: BOOLEAN },
  munderover: {},
  mstyle: { mathcolor: COLOR, mathbackground: COLOR, scriptlevel: /^[0-2]$/, displaystyle: BOOLEAN, mathsize: LENGTH },
  mtable: { rowspacing: LENGTH, columnspacing: LENGTH, columnalign: ALIGNS, rowlines: LINES, columnlines: LINES, width: LENGTH },
  mtr: {},
  mtd: { width: LENGTH, columnalign: ALIGNS },
  menclose: { notation: NOTATIONS, mathcolor: COLOR, mathbackground: COLOR },
  mpadded: { width: LENGTH, height: LENGTH, depth: LENGTH, lspace: LENGTH, voffset: LENGTH, mathbackground: COLOR },
  mspace: { width: LENGTH, height: LENGTH, depth: LENGTH, mathbackground: COLOR, linebreak: ['newline'] },
  mphantom: {},
};

/** MATHML_ALLOWED in sanitize-html's terms: names here, values checked by the transforms. */
export const MATH_SANITIZE = {
  allowedTags: Object.keys(MATHML_ALLOWED),
  allowedAttributes: Object.fromEntries(Object.entries(MATHML_ALLOWED).map(([tag, rules]) => [tag, Object.keys(rules)])),
  /** KaTeX's wrappers, the display block and the error markup of renderTex. */
  classes: { span: ['katex', 'math-display', 'math-error'], small: ['math-error__message'], div: ['math-display'] },
  transformTags: Object.fromEntries(
    Object.keys(MATHML_ALLOWED).map((tag) => [
      tag,
      (tagName: string, attribs: Record<string, string>) => ({ tagName, attribs: mathAttributesFiltered(tag, attribs) }),
    ]),
  ),
};

/** Keeps a MathML element's attributes whose values fit their rule (lengths, colours, alignments…). */
function mathAttributesFiltered(tag: string, attribs: Record<string, string>): Record<string, string> {
  const rules = MATHML_ALLOWED[tag] ?? {};
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(attribs)) {
    const rule = rules[name];
    if (rule === undefined) continue;
    if (rule instanceof RegExp ? rule.test(value) : rule.includes(value)) kept[name] = value;
  }
  return kept;
}
