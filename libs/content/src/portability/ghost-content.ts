import { isRecord, str } from './bundle.js';

/**
 * Ghost's editors store a document tree (lexical in Ghost 5+, mobiledoc before). Exports
 * usually carry the rendered `html` too and the importer prefers it; these walkers are the
 * fallback when only the tree is there. They keep text, headings, lists, quotes, links,
 * emphasis and Ghost's markdown, html, code and image cards.
 */

type Node = Record<string, unknown>;

const children = (n: Node): Node[] => (Array.isArray(n.children) ? n.children.filter(isRecord) : []);

function lexicalInline(nodes: Node[]): string {
  return nodes
    .map((n) => {
      if (n.type === 'text' || n.type === 'extended-text') {
        const text = str(n.text);
        const format = typeof n.format === 'number' ? n.format : 0;
        if (format & 16) return `\`${text}\``;
        let out = text;
        if (format & 2) out = `_${out}_`;
        if (format & 1) out = `**${out}**`;
        if (format & 4) out = `~~${out}~~`;
        return out;
      }
      if (n.type === 'linebreak') return '  \n';
      if (n.type === 'link') return `[${lexicalInline(children(n))}](${str(n.url)})`;
      return lexicalInline(children(n));
    })
    .join('');
}

function lexicalBlock(n: Node): string {
  switch (n.type) {
    case 'heading':
    case 'extended-heading':
      return `${'#'.repeat(Number(str(n.tag).slice(1)) || 2)} ${lexicalInline(children(n))}`;
    case 'quote':
    case 'extended-quote':
      return `> ${lexicalInline(children(n))}`;
    case 'list':
      return children(n)
        .map((item, i) => `${n.listType === 'number' ? `${i + 1}.` : '-'} ${lexicalInline(children(item))}`)
        .join('\n');
    case 'markdown':
      return str(n.markdown);
    case 'html':
      return str(n.html);
    case 'codeblock':
      return `\`\`\`${str(n.language)}\n${str(n.code)}\n\`\`\``;
    case 'image':
      return `![${str(n.alt)}](${str(n.src)})${n.caption ? `\n\n${str(n.caption)}` : ''}`;
    case 'horizontalrule':
      return '---';
    default:
      return lexicalInline(children(n));
  }
}

export function lexicalToMarkdown(json: string): string {
  const doc: unknown = JSON.parse(json);
  const root = isRecord(doc) && isRecord(doc.root) ? doc.root : null;
  if (!root) return '';
  return children(root)
    .map(lexicalBlock)
    .filter((b) => b.trim())
    .join('\n\n');
}

type Markup = [string, string[]?];
type Marker = [number, number[], number, unknown];

function mobiledocMarkers(markers: Marker[], markups: Markup[]): string {
  const open: Markup[] = [];
  let out = '';
  const wrap = (m: Markup, closing: boolean) => {
    const tag = m[0].toLowerCase();
    if (tag === 'strong' || tag === 'b') return '**';
    if (tag === 'em' || tag === 'i') return '_';
    if (tag === 'code') return '`';
    if (tag === 's') return '~~';
    if (tag === 'a') {
      const attrs = m[1] ?? [];
      const href = attrs[attrs.indexOf('href') + 1] ?? '';
      return closing ? `](${href})` : '[';
    }
    return '';
  };
  for (const [type, opens, closes, value] of markers) {
    for (const i of opens) {
      const m = markups[i] ?? ['span'];
      open.push(m);
      out += wrap(m, false);
    }
    out += type === 0 ? str(value) : '';
    for (let k = 0; k < closes; k++) {
      const m = open.pop();
      if (m) out += wrap(m, true);
    }
  }
  return out;
}

export function mobiledocToMarkdown(json: string): string {
  const doc: unknown = JSON.parse(json);
  if (!isRecord(doc) || !Array.isArray(doc.sections)) return '';
  const markups = (Array.isArray(doc.markups) ? doc.markups : []) as Markup[];
  const cards = (Array.isArray(doc.cards) ? doc.cards : []) as [string, Record<string, unknown>][];
  const blocks = (doc.sections as unknown[][]).map((section) => {
    const [kind] = section;
    if (kind === 1) {
      const tag = str(section[1]).toLowerCase();
      const text = mobiledocMarkers(section[2] as Marker[], markups);
      if (/^h[1-6]$/.test(tag)) return `${'#'.repeat(Number(tag[1]))} ${text}`;
      if (tag === 'blockquote') return `> ${text}`;
      return text;
    }
    if (kind === 3) {
      const ordered = str(section[1]).toLowerCase() === 'ol';
      return (section[2] as Marker[][])
        .map((item, i) => `${ordered ? `${i + 1}.` : '-'} ${mobiledocMarkers(item, markups)}`)
        .join('\n');
    }
    if (kind === 10) {
      const [name, payload = {}] = cards[section[1] as number] ?? ['', {}];
      if (name === 'markdown' || name === 'card-markdown') return str(payload.markdown);
      if (name === 'html') return str(payload.html);
      if (name === 'code') return `\`\`\`${str(payload.language)}\n${str(payload.code)}\n\`\`\``;
      if (name === 'image') return `![${str(payload.alt)}](${str(payload.src)})`;
      if (name === 'hr') return '---';
    }
    return '';
  });
  return blocks.filter((b) => b.trim()).join('\n\n');
}
