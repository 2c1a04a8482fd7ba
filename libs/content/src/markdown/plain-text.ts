/**
 * Text with every tag removed and entities decoded, for excerpts, word counts and the search
 * index (and its snippets, made again at query time from the stored HTML: search.service.ts).
 *
 * Its input is always what sanitize() produced (every stored body is), and that output is regular:
 * attribute values have `<`, `>`, `&` and `"` escaped, so a tag is exactly `<[^>]*>`; text holds
 * only the entities the escaper writes. A regular expression therefore gives what sanitize-html's
 * own text mode gives (plain-text.spec.ts checks them against each other), 3–5× faster: a search
 * results page makes the text of 20 posts per query.
 */
export function toPlainText(sanitizedHtml: string): string {
  return decodeEntities(sanitizedHtml.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, '&');
}
