import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { isGeneration } from './lease-record.js';

/**
 * The generation Litestream v0.3 is writing for a database: it keeps the name in
 * `<dir>/.<file>-litestream/generation`. Null until its first sync has created one.
 */
export async function readLitestreamGeneration(databasePath: string): Promise<string | null> {
  const path = join(dirname(databasePath), `.${basename(databasePath)}-litestream`, 'generation');
  try {
    const value = (await readFile(path, 'utf8')).trim();
    return isGeneration(value) ? value : null;
  } catch {
    return null;
  }
}
