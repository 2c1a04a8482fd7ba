import { type DefaultTreeAdapterTypes as T, parse, parseFragment } from 'parse5';

import { FRAGMENT_SHAPES, GUARDED_HTML, matchShape, type Shape, shapesOf } from './template-shapes.js';

/** Elements that run code, load documents or plugins, or change how URLs resolve. */
const FORBIDDEN = new Set([
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'base',
  'template',
  'noscript',
  'xmp',
  'plaintext',
  'isindex',
  'keygen',
  'bgsound',
  'marquee',
  'handler',
]);

/** Attributes whose value a browser treats as a URL to load or navigate to. */
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'srcset',
  'background',
  'poster',
  'data',
  'code',
  'codebase',
  'lowsrc',
  'dynsrc',
  'ping',
  'longdesc',
  'usemap',
  'manifest',
]);

const DANGEROUS_SCHEME = /^(javascript|vbscript|data|livescript|mocha|feed|jar):/;

/**
 * What the WHATWG URL parser makes of an attribute value before reading its scheme: leading and
 * trailing C0 controls and spaces are stripped, tabs and newlines removed anywhere.
 */
function normalizeUrl(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
      .replace(/[\t\n\r]/g, '')
      .toLowerCase()
  );
}

export interface SafetyOptions {
  /**
   * A whole page of ours, rendered from this view (`site/post`, `admin/tags`, …): the forms, form
   * controls, links, scripts and SVG its templates emit are allowed, each as many times as the
   * templates can emit it and with exactly their attributes; any other copy is a finding.
   */
  page?: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';

interface PageBudget {
  view: string;
  shapes: Shape[];
  used: Set<Shape>;
}

/**
 * Everything executable found in the HTML, parsed as a browser parses it (parse5 implements the
 * HTML standard's tree construction, foreign content included), as readable findings; an empty
 * list means the HTML is inert.
 */
export function executableIn(html: string, options: SafetyOptions = {}): string[] {
  const findings: string[] = [];
  const page: PageBudget | null = options.page ? { view: options.page, shapes: shapesOf(options.page), used: new Set() } : null;
  const visit = (nodes: T.ChildNode[]) => {
    for (const node of nodes) {
      if (!('tagName' in node)) continue;
      check(node, findings, page);
      visit(node.childNodes);
      if (node.tagName === 'template') visit((node as T.Template).content.childNodes);
    }
  };
  visit((options.page ? parse(html) : parseFragment(html)).childNodes);
  return findings;
}

function check(el: T.Element, findings: string[], page: PageBudget | null): void {
  const name = el.tagName.toLowerCase();
  const attrs: Record<string, string> = Object.fromEntries(
    el.attrs.map((a) => [(a.prefix ? `${a.prefix}:${a.name}` : a.name).toLowerCase(), a.value]),
  );
  const where = `<${name}${Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('')}>`;
  const inSvg = el.namespaceURI === SVG_NS;
  // On a page of ours, an element that submits, loads or runs something must be one the templates emit.
  const guarded = page !== null && (inSvg || (el.namespaceURI === 'http://www.w3.org/1999/xhtml' && GUARDED_HTML.has(name)));
  const ours = guarded && matchShape(page.shapes, inSvg ? `svg:${name}` : name, attrs, page.used) !== null;
  if (guarded && !ours) findings.push(`element no template of ${page.view} emits (or one copy too many) ${where}`);
  if (name === 'script') {
    const isData = attrs.type === 'application/ld+json' && !attrs.src;
    if (!isData && !ours) findings.push(`script element ${where}`);
    if (isData) {
      const text = el.childNodes.map((c) => ('value' in c ? c.value : '')).join('');
      try {
        JSON.parse(text);
      } catch {
        findings.push(`JSON-LD that is not JSON (broken out of?) ${where}`);
      }
    }
  }
  // MathML only as KaTeX emits it, where sanitized Markdown may be (a page's {{{…html}}}, or a fragment of it).
  const inMath = el.namespaceURI === MATHML_NS;
  const mathOk =
    inMath && matchShape(page ? page.shapes : FRAGMENT_SHAPES, `math:${name}`, attrs, page?.used ?? new Set()) !== null;
  if (inMath && !mathOk) findings.push(`MathML that KaTeX does not emit ${where}`);
  // The dashboard's own chart is inline SVG: allowed as the shapes above allow it, nothing more.
  if (FORBIDDEN.has(name) && !(name === 'svg' && ours) && !(name === 'math' && mathOk))
    findings.push(`forbidden element ${where}`);
  if (name === 'style') findings.push(`style element ${where}`);
  if (name === 'meta' && attrs['http-equiv']) findings.push(`meta http-equiv ${where}`);
  if (name === 'link' && !ours) findings.push(`link element ${where}`);
  if ((name === 'form' || name === 'button' || name === 'textarea' || name === 'select') && !ours) {
    findings.push(`form control ${where}`);
  }
  // Markdown task lists render disabled checkboxes: the one input a fragment may hold.
  if (name === 'input' && !ours && (page !== null || attrs.type !== 'checkbox')) findings.push(`input ${where}`);
  for (const [attr, value] of Object.entries(attrs)) {
    if (/^on/.test(attr)) findings.push(`event handler ${attr} ${where}`);
    if (attr === 'style') findings.push(`style attribute ${where}`);
    if (attr === 'srcdoc') findings.push(`srcdoc ${where}`);
    if (URL_ATTRIBUTES.has(attr)) {
      const urls = attr === 'srcset' ? value.split(',').map((c) => c.trim().split(/\s+/)[0]) : [value];
      for (const url of urls) {
        if (DANGEROUS_SCHEME.test(normalizeUrl(url))) findings.push(`${attr} with a script URL ${where}`);
      }
    }
  }
}
