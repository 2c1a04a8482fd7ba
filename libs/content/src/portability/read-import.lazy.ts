import type { ImportBundle } from './bundle.js';
import type { SourceFile } from './source-file.js';

/**
 * The readers (turndown with its DOM, YAML, TOML) are a sixth of the app's code and only an
 * import needs them: they load on first use, not at every cold start.
 */
export async function readImport(source: string, files: SourceFile[]): Promise<ImportBundle> {
  return (await import('./read-import.js')).readImport(source, files);
}
