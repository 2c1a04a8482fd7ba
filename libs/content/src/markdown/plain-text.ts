import sanitizeHtml from 'sanitize-html';

/**
 * Text with every tag removed and entities decoded, for excerpts, search and feeds' summaries.
 * Its own module (not sanitize.ts, which pulls in KaTeX's allow-list) so that search can load it
 * at a reader's first query without the renderer.
 */
export function toPlainText(html: string): string {
  const text = sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} });
  return decodeEntities(text).replace(/\s+/g, ' ').trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, '&');
}
