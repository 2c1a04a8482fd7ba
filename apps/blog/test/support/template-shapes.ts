import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { staticAssets } from '../../src/common/static-assets.js';

const VIEWS = fileURLToPath(new URL('../../views/', import.meta.url));

/** HTML elements that submit, load or run something: on a page, only where a template puts them. */
export const GUARDED_HTML = new Set(['form', 'input', 'button', 'textarea', 'select', 'option', 'link', 'script']);

/** One element a template emits: its tag, its attributes (values as patterns), and whether it may repeat. */
export interface Shape {
  /** `input`, or `svg:rect` for SVG elements. */
  key: string;
  required: Map<string, RegExp>;
  optional: Map<string, RegExp>;
  /** Inside `{{#each}}`: any number of times; otherwise at most once. */
  repeats: boolean;
  source: string;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The dashboard's chart is drawn by admin/views-chart.ts and inserted raw (`{{{chart.svg}}}`):
 * its elements, exactly, since no template shows them.
 */
const CHART: Shape[] = [
  shape('svg:svg', false, {
    class: 'chart',
    viewbox: /^0 0 \d+ \d+$/,
    role: 'img',
    'aria-labelledby': 'views-chart-title views-chart-desc',
    xmlns: 'http://www.w3.org/2000/svg',
  }),
  shape('svg:title', false, { id: 'views-chart-title' }),
  shape('svg:desc', false, { id: 'views-chart-desc' }),
  shape('svg:line', false, { class: 'chart-axis', x1: NUMBER, y1: NUMBER, x2: NUMBER, y2: NUMBER }),
  shape('svg:rect', true, { class: 'chart-bar', x: NUMBER, y: NUMBER, width: NUMBER, height: NUMBER }),
  shape('svg:title', true, {}),
];

/** Sanitized Markdown (`{{{post.html}}}` and the like) holds one kind of input: a task list's checkbox (libs/content sanitize.ts). */
const TASK_CHECKBOX: Shape = {
  ...shape('input', true, { type: 'checkbox', disabled: '' }),
  optional: new Map([['checked', /^$/]]),
  source: 'libs/content/src/markdown/sanitize.ts',
};

const LENGTH = /^[+-]?(\d+(\.\d*)?|\.\d+)(em|ex|pt|px|mu|%|width)?$/;
const COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)$/;
const BOOL = /^(true|false)$/;
const VARIANT =
  /^(normal|bold|italic|bold-italic|double-struck|bold-fraktur|script|bold-script|fraktur|sans-serif|bold-sans-serif|sans-serif-italic|sans-serif-bold-italic|monospace)$/;

/**
 * Math in sanitized Markdown: the MathML KaTeX emits (libs/content markdown/math.ts, MathML output,
 * trust off), written out here on its own so that a sanitizer letting more through is caught.
 * Every element, any number of times, each attribute optional but its value held to a pattern.
 * No `style`, no `href`/`src`, no `maction`, no `mglyph`.
 */
const KATEX_MATHML: Shape[] = Object.entries({
  math: { xmlns: /^http:\/\/www\.w3\.org\/1998\/Math\/MathML$/, display: /^block$/ },
  semantics: {},
  annotation: { encoding: /^application\/x-tex$/ },
  mrow: {},
  mi: { mathvariant: VARIANT },
  mn: { mathvariant: VARIANT },
  mtext: { mathvariant: VARIANT },
  mo: {
    stretchy: BOOL,
    fence: BOOL,
    separator: BOOL,
    largeop: BOOL,
    movablelimits: BOOL,
    accent: BOOL,
    mathvariant: VARIANT,
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
  mover: { accent: BOOL },
  munder: { accentunder: BOOL },
  munderover: {},
  mstyle: { mathcolor: COLOR, mathbackground: COLOR, scriptlevel: /^[0-2]$/, displaystyle: BOOL, mathsize: LENGTH },
  mtable: {
    rowspacing: LENGTH,
    columnspacing: LENGTH,
    columnalign: /^(left|center|right)( (left|center|right))*$/,
    rowlines: /^(none|solid|dashed)( (none|solid|dashed))*$/,
    columnlines: /^(none|solid|dashed)( (none|solid|dashed))*$/,
    width: LENGTH,
  },
  mtr: {},
  mtd: { width: LENGTH, columnalign: /^(left|center|right)$/ },
  menclose: { notation: /^[a-z]+( [a-z]+)*$/, mathcolor: COLOR, mathbackground: COLOR },
  mpadded: { width: LENGTH, height: LENGTH, depth: LENGTH, lspace: LENGTH, voffset: LENGTH, mathbackground: COLOR },
  mspace: { width: LENGTH, height: LENGTH, depth: LENGTH, mathbackground: COLOR, linebreak: /^newline$/ },
  mphantom: {},
} satisfies Record<string, Record<string, RegExp>>).map(([name, attrs]) => ({
  key: `math:${name}`,
  required: new Map(),
  optional: new Map(Object.entries(attrs)),
  repeats: true,
  source: 'libs/content/src/markdown/math.ts',
}));

/** Shapes allowed in a bare fragment of sanitized Markdown (no page around it). */
export const FRAGMENT_SHAPES: readonly Shape[] = KATEX_MATHML;

const cache = new Map<string, Shape[]>();

/**
 * The guarded elements a view can put on a page, read from its templates: the layout the app
 * renders it in (admin/* in layouts/admin, the rest in layouts/main), the view, and every partial
 * they include, with `{{#each}}` deciding what may repeat and `{{#if}}` inside a tag deciding
 * which attributes are optional. `{{asset '…'}}` stands for its exact fingerprinted URL; any
 * other `{{…}}` in an attribute stands for any value.
 */
export function shapesOf(view: string): Shape[] {
  let shapes = cache.get(view);
  if (!shapes) {
    const layout = expand(view.startsWith('admin/') ? 'layouts/admin' : 'layouts/main');
    if (!layout.includes('{{{body}}}')) throw new Error(`layout for ${view} has no {{{body}}}`);
    const template = layout.replace('{{{body}}}', () => expand(view));
    shapes = scan(template, view);
    if (/\{\{\{(?:[\w.]+\.)?html\}\}\}/.test(template)) shapes.push(TASK_CHECKBOX, ...KATEX_MATHML);
    if (template.includes('{{{chart.svg}}}')) shapes.push(...CHART);
    cache.set(view, shapes);
  }
  return shapes;
}

/** The first shape an element fits; single-use shapes are spent from `used`, so a second copy is refused. */
export function matchShape(shapes: readonly Shape[], key: string, attrs: Record<string, string>, used: Set<Shape>): Shape | null {
  const fits = shapes.filter((s) => s.key === key && fitsAttributes(s, attrs));
  const found = fits.find((s) => s.repeats) ?? fits.find((s) => !used.has(s)) ?? null;
  if (found && !found.repeats) used.add(found);
  return found;
}

function fitsAttributes(shape: Shape, attrs: Record<string, string>): boolean {
  for (const [name, pattern] of shape.required) if (!(name in attrs) || !pattern.test(attrs[name]!)) return false;
  for (const [name, value] of Object.entries(attrs)) {
    if (shape.required.has(name)) continue;
    const pattern = shape.optional.get(name);
    if (!pattern || !pattern.test(value)) return false;
  }
  return true;
}

/** A template with its partials inlined and its comments dropped (they may mention markup). */
function expand(name: string, depth = 0): string {
  if (depth > 10) throw new Error(`partials nest too deep at ${name}`);
  return readFileSync(`${VIEWS}${name}.hbs`, 'utf8')
    .replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, '')
    .replace(/\{\{>\s*([\w-]+)[^}]*\}\}/g, (_, partial: string) => expand(`partials/${partial}`, depth + 1));
}

const TOKENS =
  /\{\{#(each|if|unless|with)\b[^}]*\}\}|\{\{\/(each|if|unless|with)\}\}|<([a-zA-Z][\w-]*)((?:[^>{]|\{\{[^}]*\}\})*)>/g;

function scan(template: string, view: string): Shape[] {
  const shapes: Shape[] = [];
  const blocks: string[] = [];
  for (const match of template.matchAll(TOKENS)) {
    const [, open, close, tag, attrText] = match;
    if (open) blocks.push(open);
    else if (close) {
      if (blocks.pop() !== close) throw new Error(`${view}: {{/${close}}} closes another block`);
    } else if (tag && GUARDED_HTML.has(tag.toLowerCase())) {
      const { required, optional } = attributes(attrText ?? '');
      shapes.push({ key: tag.toLowerCase(), required, optional, repeats: blocks.includes('each'), source: view });
    }
  }
  if (blocks.length) throw new Error(`${view}: unclosed blocks ${blocks.join(', ')}`);
  return shapes;
}

/** A start tag's attributes: those inside `{{#if}}…{{/if}}` are optional, the rest required. */
function attributes(text: string): { required: Map<string, RegExp>; optional: Map<string, RegExp> } {
  const optional = new Map<string, RegExp>();
  const plain = text.replace(/\{\{#(?:if|unless)[^}]*\}\}([\s\S]*?)\{\{\/(?:if|unless)\}\}/g, (_, inner: string) => {
    for (const part of inner.split('{{else}}')) for (const [n, v] of parseAttributes(part)) optional.set(n, v);
    return ' ';
  });
  return { required: new Map(parseAttributes(plain)), optional };
}

function parseAttributes(text: string): [string, RegExp][] {
  const found: [string, RegExp][] = [];
  for (const [, name, value] of text.matchAll(/([^\s"'=<>`{}/]+)(?:\s*=\s*"([^"]*)")?/g)) {
    found.push([name!.toLowerCase(), valuePattern(value ?? '')]);
  }
  return found;
}

function valuePattern(value: string): RegExp {
  const parts = value.split(/(\{\{[^}]*\}\})/).map((part) => {
    if (!part.startsWith('{{')) return escape(part);
    const asset = /^\{\{asset '([^']+)'\}\}$/.exec(part);
    return asset ? escape(staticAssets.url(asset[1]!)) : '[\\s\\S]*';
  });
  return new RegExp(`^${parts.join('')}$`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shape(key: string, repeats: boolean, attrs: Record<string, string | RegExp>): Shape {
  const required = new Map(
    Object.entries(attrs).map(([n, v]) => [n, typeof v === 'string' ? new RegExp(`^${escape(v)}$`) : v] as const),
  );
  return { key, required, optional: new Map(), repeats, source: 'admin/views-chart.ts' };
}
