/**
 * Text as the author may store it. Dropped: C0 control characters other than tab, LF and CR
 * (a NUL cuts the SQL text SQLite is handed, and none of them is allowed in an XML feed) and the
 * non-characters U+FFFE/U+FFFF; a lone surrogate becomes U+FFFD.
 */
export function cleanText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  );
}
