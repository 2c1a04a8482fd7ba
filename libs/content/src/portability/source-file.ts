/** One file of an import, read into memory. */
export interface SourceFile {
  /** Relative to the imported folder, with `/` separators. */
  path: string;
  /** The file as UTF-8 text; empty for a binary file (an image, a zip), whose bytes are in `bytes`. */
  text: string;
  /** The raw bytes, when the file came with them (images and zips beside an export). */
  bytes?: Buffer;
}

export const isMarkdownFile = (path: string) => /\.(md|markdown)$/i.test(path);

/** Files read as bytes only: turning an image into a string would double it in memory for nothing. */
const BINARY = /\.(zip|jpe?g|png|gif|webp|avif|svg|bmp|tiff?|heic|ico|pdf|mp[34]|m4a|mov|webm|ogg|wav|woff2?|ttf|otf)$/i;

/** A file as the readers take it: text for what can be text, the bytes always. */
export function sourceFile(path: string, bytes: Buffer): SourceFile {
  return { path, text: BINARY.test(path) ? '' : bytes.toString('utf8'), bytes };
}
