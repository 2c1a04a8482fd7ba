/**
 * Object names. The original is named by the SHA-256 of the uploaded bytes; a rendition by that
 * hash plus its recipe (width, format). A name therefore never stands for two different contents,
 * and every object of one image shares its hash as a prefix (how deletion and the sweep find them).
 */
export type RenditionFormat = 'webp' | 'avif';

export const originalKey = (sha256: string, extension: string) => `${sha256}.${extension}`;

export const renditionKey = (sha256: string, width: number, format: RenditionFormat) => `${sha256}-${width}w.${format}`;

/** The image hash an object belongs to, or null for a name that is none of ours. */
export function hashOfKey(key: string): string | null {
  const match = /^([0-9a-f]{64})(?:\.[a-z]+|-\d+w\.(?:webp|avif))$/.exec(key);
  return match ? match[1] : null;
}
