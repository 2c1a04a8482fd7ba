import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';
import anchor from 'markdown-it-anchor';
import footnote from 'markdown-it-footnote';

import type { RenderedBody } from '../entities/index.js';
import { slugify } from '../slug.js';
import { type ImageLookup, responsiveImages } from './images.js';
import { mathPlugin } from './math.js';
import { toPlainText } from './plain-text.js';
import { sanitize } from './sanitize.js';

const WORDS_PER_MINUTE = 230;
const EXCERPT_LENGTH = 200;

function highlight(code: string, lang: string): string {
  const language = lang && hljs.getLanguage(lang) ? lang : null;
  if (!language) return ''; // markdown-it escapes the code itself
  const html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return `<pre class="hljs"><code class="language-${language}">${html}</code></pre>`;
}

const md = new MarkdownIt({ html: true, linkify: true, typographer: true, highlight })
  .use(footnote)
  .use(mathPlugin)
  .use(responsiveImages)
  .use(anchor, {
    level: [2, 3, 4],
    slugify,
    // Reachable by keyboard and named for screen readers (an aria-hidden link would still take focus).
    permalink: anchor.permalink.linkInsideHeader({
      symbol: '#',
      placement: 'after',
      renderAttrs: () => ({ 'aria-label': 'Link to this section' }),
    }),
  });

/**
 * Markdown → safe HTML, run once at save. The output is sanitized after rendering, so raw HTML
 * in the source and anything a markdown-it plugin emits go through the same allow-list.
 */
export function renderMarkdown(markdown: string, images?: ImageLookup): RenderedBody {
  const html = sanitize(md.render(markdown, { images }));
  // Anchors and footnotes are navigation, not prose: they count neither as words nor as excerpt.
  const prose = html
    .replace(/<a class="header-anchor"[^>]*>[^<]*<\/a>/g, '')
    .replace(/<sup class="footnote-ref">[\s\S]*?<\/sup>/g, '')
    .replace(/<section class="footnotes">[\s\S]*<\/section>/, '');
  const text = toPlainText(prose);
  const wordCount = text ? text.split(/\s+/u).length : 0;
  const paragraphs = prose.match(/<p>[\s\S]*?<\/p>/g);
  return {
    html,
    excerpt: excerptOf(paragraphs ? toPlainText(paragraphs.join(' ')) : text),
    wordCount,
    readingMinutes: Math.max(1, Math.round(wordCount / WORDS_PER_MINUTE)),
  };
}

export function plainTextOf(html: string): string {
  return toPlainText(html);
}

function excerptOf(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= EXCERPT_LENGTH) return text;
  const cut = chars.slice(0, EXCERPT_LENGTH).join('');
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > EXCERPT_LENGTH / 2 ? cut.slice(0, lastSpace) : cut).replace(/[\s,.;:!?-]+$/u, '')}…`;
}
