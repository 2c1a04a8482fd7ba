import { type DefaultTreeAdapterTypes as T, parse, parseFragment } from 'parse5';

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
  /** A whole page of ours: allows the theme's forms, stylesheet links and script files. */
  page?: boolean;
}

/**
 * Everything executable found in the HTML, parsed as a browser parses it (parse5 implements the
 * HTML standard's tree construction, foreign content included), as readable findings; an empty
 * list means the HTML is inert.
 */
export function executableIn(html: string, options: SafetyOptions = {}): string[] {
  const findings: string[] = [];
  const visit = (nodes: T.ChildNode[]) => {
    for (const node of nodes) {
      if (!('tagName' in node)) continue;
      check(node, findings, options);
      visit(node.childNodes);
      if (node.tagName === 'template') visit((node as T.Template).content.childNodes);
    }
  };
  visit((options.page ? parse(html) : parseFragment(html)).childNodes);
  return findings;
}

function check(el: T.Element, findings: string[], options: SafetyOptions): void {
  const name = el.tagName.toLowerCase();
  const attrs: Record<string, string> = Object.fromEntries(
    el.attrs.map((a) => [(a.prefix ? `${a.prefix}:${a.name}` : a.name).toLowerCase(), a.value]),
  );
  const where = `<${name}${Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('')}>`;
  if (name === 'script') {
    const isData = attrs.type === 'application/ld+json' && !attrs.src;
    const isOurFile = options.page && /^\/static\/[\w./-]+\.js$/.test(attrs.src ?? '') && !attrs.type;
    if (!isData && !isOurFile) findings.push(`script element ${where}`);
    if (isData) {
      const text = el.childNodes.map((c) => ('value' in c ? c.value : '')).join('');
      try {
        JSON.parse(text);
      } catch {
        findings.push(`JSON-LD that is not JSON (broken out of?) ${where}`);
      }
    }
  }
  // Our own templates may draw inline SVG (the dashboard's chart); its attributes are still checked below.
  const ownSvg = options.page && (name === 'svg' || el.namespaceURI === 'http://www.w3.org/2000/svg');
  if (FORBIDDEN.has(name) && !ownSvg) findings.push(`forbidden element ${where}`);
  if (ownSvg && ['foreignobject', 'use', 'animate', 'set', 'handler'].includes(name))
    findings.push(`active SVG element ${where}`);
  if (name === 'style') findings.push(`style element ${where}`);
  if (name === 'meta' && attrs['http-equiv']) findings.push(`meta http-equiv ${where}`);
  if (name === 'link' && !(options.page && /^(\/[^/\\]|https?:\/\/)/.test(attrs.href ?? ''))) {
    findings.push(`link element ${where}`);
  }
  if ((name === 'form' || name === 'button' || name === 'textarea' || name === 'select') && !options.page) {
    findings.push(`form control ${where}`);
  }
  if (name === 'input' && !options.page && attrs.type !== 'checkbox') findings.push(`input ${where}`);
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
