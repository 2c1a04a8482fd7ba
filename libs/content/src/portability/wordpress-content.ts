import { parse as parseBlocks } from '@wordpress/block-serialization-default-parser';

/** What the conversion needs to know about the rest of the export. */
export interface WordPressContext {
  /** An attachment's URL and title by its post id (galleries, image blocks by id). */
  attachment(id: string): { url: string; title: string } | undefined;
  /** The images attached to a post, for a `[gallery]` without ids. */
  attachedTo(postId: string): { url: string; title: string }[];
  /** A reusable block's (wp_block) content by its id. */
  reusable(id: string): string | undefined;
  /** Told about each shortcode that has no meaning here and is left out. */
  leftOut(shortcode: string): void;
}

type Block = ReturnType<typeof parseBlocks>[number];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const link = (url: string, text = url) => `<p><a href="${esc(url)}">${esc(text)}</a></p>`;
const image = (url: string, alt: string) => `<p><img src="${esc(url)}" alt="${esc(alt)}"></p>`;

/**
 * A post's `content:encoded` as HTML with WordPress's own markup resolved: Gutenberg blocks
 * (parsed with WordPress's block parser), shortcodes, and the paragraphs that classic content
 * leaves to `wpautop`. The result goes to the same HTML → Markdown conversion as Ghost's.
 */
export function wordpressToHtml(content: string, postId: string, ctx: WordPressContext, depth = 0): string {
  const html = parseBlocks(content)
    .map((b) => renderBlock(b, postId, ctx, depth))
    .join('\n\n');
  return shortcodes(html, postId, ctx);
}

function renderBlock(block: Block, postId: string, ctx: WordPressContext, depth: number): string {
  const name = block.blockName;
  const attrs = (block.attrs ?? {}) as Record<string, unknown>;
  if (name === null) return autop(block.innerHTML); // classic content, or the space between blocks
  if (name === 'core/more' || name === 'core/nextpage') return '';
  if (name === 'core/embed' || name.startsWith('core-embed/')) {
    const url = typeof attrs.url === 'string' ? attrs.url : '';
    return url ? link(url) : '';
  }
  if (name === 'core/shortcode') return autop(block.innerHTML);
  if (name === 'core/block') {
    const inner = ctx.reusable(String(attrs.ref ?? ''));
    // A reusable block inside itself would never end.
    return inner && depth < 5 ? wordpressToHtml(inner, postId, ctx, depth + 1) : '';
  }
  if (name === 'core/gallery' && block.innerBlocks.length === 0 && Array.isArray(attrs.ids)) {
    return galleryOf(attrs.ids.map(String), postId, ctx);
  }
  let i = 0;
  return block.innerContent
    .map((piece) => (piece === null ? renderBlock(block.innerBlocks[i++], postId, ctx, depth) : piece))
    .join('');
}

function galleryOf(ids: string[], postId: string, ctx: WordPressContext): string {
  const images = ids.length ? ids.map((id) => ctx.attachment(id)).filter((a) => a !== undefined) : ctx.attachedTo(postId);
  return images.map((a) => image(a.url, a.title)).join('\n');
}

/** Block-level tags after which wpautop adds no paragraph. */
const BLOCK_START =
  /^<\/?(p|div|h[1-6]|ul|ol|li|dl|blockquote|pre|table|figure|hr|address|section|iframe|video|audio|form|!--)\b/i;

/**
 * WordPress's `wpautop`, in its essentials: classic content keeps paragraphs as blank lines and
 * line breaks as newlines, which HTML (and so the Markdown conversion) would run together.
 * `<pre>` keeps its blank lines. A URL alone on its line is an oEmbed in WordPress: a link here.
 */
function autop(html: string): string {
  if (!html.trim()) return '';
  const pres: string[] = [];
  const held = html.replace(/<pre[\s\S]*?<\/pre>/gi, (pre) => `\uE000${pres.push(pre) - 1}\uE000`);
  return held
    .split(/\n\s*\n/)
    .map((chunk) => {
      const t = chunk.trim();
      if (!t) return '';
      if (/^\uE000\d+\uE000$/.test(t) || BLOCK_START.test(t)) return t;
      if (/^https?:\/\/\S+$/.test(t)) return link(t);
      return `<p>${t.replace(/\n/g, '<br>\n')}</p>`;
    })
    .filter(Boolean)
    .join('\n')
    .replace(/\uE000(\d+)\uE000/g, (_, n: string) => {
      // Classic content writes <pre> without <code>: the code block is the same thing.
      const pre = pres[Number(n)];
      return /<code\b/i.test(pre) ? pre : pre.replace(/^(<pre\b[^>]*>)([\s\S]*)(<\/pre>)$/i, '$1<code>$2</code>$3');
    });
}

/** `shortcode_parse_atts`: name="v", name='v', name=v, and positional "v" or v. */
function attributes(text: string): { named: Record<string, string>; positional: string[] } {
  const named: Record<string, string> = {};
  const positional: string[] = [];
  const re = /([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*'([^']*)'|([\w-]+)\s*=\s*([^\s'"]+)|"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.replace(/[\u00a0\u200b]/g, ' ').matchAll(re)) {
    if (m[1]) named[m[1].toLowerCase()] = m[2];
    else if (m[3]) named[m[3].toLowerCase()] = m[4];
    else if (m[5]) named[m[5].toLowerCase()] = m[6];
    else positional.push(m[7] ?? m[8] ?? m[9]);
  }
  return { named, positional };
}

/** Shortcodes whose meaning is a link to the media or page they name. */
const LINKING = new Set([
  'embed',
  'video',
  'audio',
  'youtube',
  'vimeo',
  'soundcloud',
  'tweet',
  'twitter',
  'instagram',
  'spotify',
]);

/**
 * WordPress shortcodes to HTML: `[caption]` to the image with its caption, `[gallery]` to its
 * images, embeds and media players to a link to what they played. Any other shortcode (a
 * plugin's) has no meaning here: it is left out, its enclosed text kept, and the author told.
 * `[[name]]` is WordPress's escape for a literal `[name]`.
 */
function shortcodes(html: string, postId: string, ctx: WordPressContext): string {
  const escaped: string[] = [];
  let out = html.replace(/\[(\[[a-z][\w-]*[^\]]*\])\]/gi, (_, inner: string) => `\uE001${escaped.push(inner) - 1}\uE001`);
  // Enclosing form first ([x …]…[/x]), then self-closing ([x …] and [x … /]).
  out = out.replace(
    /\[([a-z][\w-]*)(\s[^\]]*)?\]([\s\S]*?)\[\/\1\]/gi,
    (all, name: string, atts: string | undefined, inner: string) =>
      shortcode(name.toLowerCase(), atts ?? '', inner, postId, ctx) ?? all,
  );
  out = out.replace(/\[([a-z][\w-]*)((?:\s[^\]]*)?)\/?\]/gi, (all, name: string, atts: string) => {
    // `[1]`-like text and `[x]` task boxes are not shortcodes: only a known name, or one with attributes.
    const known = KNOWN.has(name.toLowerCase());
    if (!known && !/=/.test(atts)) return all;
    return shortcode(name.toLowerCase(), atts, '', postId, ctx) ?? all;
  });
  return out.replace(/\uE001(\d+)\uE001/g, (_, n: string) => escaped[Number(n)]);
}

const KNOWN = new Set(['caption', 'wp_caption', 'gallery', 'playlist', ...LINKING]);

function shortcode(name: string, atts: string, inner: string, postId: string, ctx: WordPressContext): string | undefined {
  const { named, positional } = attributes(atts);
  if (name === 'caption' || name === 'wp_caption') {
    // The image (maybe inside a link) first, the caption text after it (or in caption="…").
    const img = /(<a\b[^>]*>\s*)?<img\b[^>]*>(\s*<\/a>)?/i.exec(inner);
    const text = (named.caption ?? inner.replace(img?.[0] ?? '', '')).trim();
    return `<p>${img?.[0] ?? ''}</p>${text ? `<p><em>${text}</em></p>` : ''}`;
  }
  if (name === 'gallery') {
    const ids = (named.ids ?? named.include ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return galleryOf(ids, postId, ctx);
  }
  if (LINKING.has(name)) {
    const url = (inner.trim() || named.url || named.src || named.mp4 || named.mp3 || named.id || positional[0] || '').replace(
      /^=/,
      '',
    );
    return /^https?:\/\//.test(url) ? link(url) : '';
  }
  ctx.leftOut(name);
  return inner;
}
