/** One file of an import, read into memory. */
export interface SourceFile {
  /** Relative to the imported folder, with `/` separators. */
  path: string;
  text: string;
}

export const isMarkdownFile = (path: string) => /\.(md|markdown)$/i.test(path);
