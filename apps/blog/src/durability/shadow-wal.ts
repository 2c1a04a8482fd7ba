import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { readLitestreamGeneration } from './writer-lease/litestream-generation.js';

/**
 * The size of one shadow WAL file of Litestream v0.3: `<dir>/.<file>-litestream/generations/<gen>/wal/
 * <index as 8 hex digits>.wal`, in the current generation. Null when there is none (yet).
 */
export async function shadowWalFileSize(databasePath: string, index: number): Promise<number | null> {
  const generation = await readLitestreamGeneration(databasePath);
  if (!generation) return null;
  const name = `${index.toString(16).padStart(8, '0')}.wal`;
  const path = join(dirname(databasePath), `.${basename(databasePath)}-litestream`, 'generations', generation, 'wal', name);
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}
