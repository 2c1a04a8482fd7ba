import { MAX_UPLOAD_BYTES } from '../media.service.js';
import { RESERVED_PAGE_SLUGS } from '../content-saver.js';
import type { ImportBundle } from './bundle.js';
import type { SourceFile } from './source-file.js';

/**
 * The readers (turndown with its DOM, YAML, TOML) are a sixth of the app's code and only an
 * import needs them: they load on first use, not at every cold start. Zips given are unpacked first.
 */
export async function readImport(source: string, files: SourceFile[]): Promise<ImportBundle> {
  const { expandArchives, readImport } = await import('./read-import.js');
  return readImport(source, await expandArchives(source, files), {
    maxImageBytes: MAX_UPLOAD_BYTES,
    reservedPageSlugs: RESERVED_PAGE_SLUGS,
  });
}
