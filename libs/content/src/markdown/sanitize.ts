import sanitizeHtml from 'sanitize-html';

import { MATH_SANITIZE } from './math.js';

/**
 * The one allow-list for author HTML. Markdown may be pasted from anywhere, so raw HTML in it
 * is allowed through markdown-it and then cut down to what a blog post needs.
 */
const ALIGN_CLASSES = ['align-left', 'align-right', 'align-center'];

/**
 * Column alignment as a class, not a style attribute: a strict Content-Security-Policy (no
 * 'unsafe-inline' styles) would drop markdown-it's `style="text-align:…"`.
 */
function alignToClass(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const { style, ...rest } = attribs;
  const align = /text-align:\s*(left|right|center)/i.exec(style ?? '')?.[1]?.toLowerCase();
  return { tagName, attribs: align ? { ...rest, class: `align-${align}` } : rest };
}

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img',
    'figure',
    'figcaption',
    'picture',
    'source',
    'del',
    'ins',
    'sup',
    'sub',
    'kbd',
    'mark',
    'details',
    'summary',
    'input',
    'small',
    ...MATH_SANITIZE.allowedTags,
  ],
  allowedAttributes: {
    ...MATH_SANITIZE.allowedAttributes,
    a: ['href', 'title', 'id', 'class', 'rel', 'aria-label', 'aria-hidden'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading', 'decoding', 'srcset', 'sizes'],
    source: ['srcset', 'sizes', 'type', 'media'],
    code: ['class'],
    pre: ['class', 'tabindex'],
    table: ['tabindex'],
    span: ['class'],
    small: ['class'],
    div: ['class'],
    section: ['class'],
    ol: ['start', 'class'],
    li: ['id', 'class'],
    sup: ['id', 'class'],
    th: ['class', 'colspan', 'rowspan', 'scope'],
    td: ['class', 'colspan', 'rowspan'],
    h1: ['id'],
    h2: ['id'],
    h3: ['id'],
    h4: ['id'],
    h5: ['id'],
    h6: ['id'],
    input: ['type', 'checked', 'disabled'],
    details: ['open'],
    hr: ['class'],
  },
  allowedClasses: {
    code: [/^language-[\w-]+$/, /^hljs.*$/],
    pre: ['hljs'],
    span: [/^hljs-[\w-]+$/, ...MATH_SANITIZE.classes.span],
    small: MATH_SANITIZE.classes.small,
    a: ['header-anchor', 'footnote-backref'],
    li: ['footnote-item'],
    sup: ['footnote-ref'],
    section: ['footnotes'],
    hr: ['footnotes-sep'],
    ol: ['footnotes-list'],
    div: MATH_SANITIZE.classes.div,
    th: ALIGN_CLASSES,
    td: ALIGN_CLASSES,
  },
  // <source> is a void element: no end tag (the default list lacks it).
  selfClosing: [...sanitizeHtml.defaults.selfClosing, 'source'],
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: {
    ...MATH_SANITIZE.transformTags,
    // Only task-list checkboxes are inputs a post may contain, and they never submit.
    input: (tagName, attribs) =>
      attribs.type === 'checkbox'
        ? { tagName, attribs: { type: 'checkbox', disabled: '', ...(attribs.checked !== undefined ? { checked: '' } : {}) } }
        : { tagName: 'span', attribs: {} },
    a: (tagName, attribs) =>
      /^https?:\/\//i.test(attribs.href ?? '')
        ? { tagName, attribs: { ...attribs, rel: 'noopener noreferrer' } }
        : { tagName, attribs },
    // Lazy unless the renderer marked it as the first image of the text (it may be in view at once).
    img: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, loading: attribs.loading === 'eager' ? 'eager' : 'lazy', decoding: 'async' },
    }),
    // Code blocks and tables scroll sideways inside themselves: keyboard users must be able to
    // focus them to scroll (WCAG 2.1.1).
    pre: (tagName, attribs) => ({ tagName, attribs: { ...attribs, tabindex: '0' } }),
    table: (tagName, attribs) => ({ tagName, attribs: { ...attribs, tabindex: '0' } }),
    th: alignToClass,
    td: alignToClass,
  },
};

export function sanitize(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
