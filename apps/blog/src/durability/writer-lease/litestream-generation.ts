import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { isGeneration } from './lease-record.js';

interface Read {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  generation: string | null;
}

/** The last read of each generation file, kept while the file's inode, size and mtime stay the same. */
const lastReads = new Map<string, Read>();

/**
 * The generation Litestream v0.3 is writing for a database: it keeps the name in
 * `<dir>/.<file>-litestream/generation`. Null until its first sync has created one.
 *
 * Why the stat first: a save's wait for replication asks every 25 ms, and the name changes only
 * when Litestream starts a generation, which it does by writing a new file and renaming it over
 * the old one (a new inode and mtime). So the file is read again only when its stat changed.
 */
export async function readLitestreamGeneration(databasePath: string): Promise<string | null> {
  const path = join(dirname(databasePath), `.${basename(databasePath)}-litestream`, 'generation');
  try {
    const { ino, size, mtimeNs } = await stat(path, { bigint: true });
    const last = lastReads.get(path);
    if (last && last.ino === ino && last.size === size && last.mtimeNs === mtimeNs) return last.generation;
    // Read after the stat: a file replaced in between is read new and cached under the old stat,
    // so the next call sees a different stat and reads it again.
    const value = (await readFile(path, 'utf8')).trim();
    const generation = isGeneration(value) ? value : null;
    lastReads.set(path, { ino, size, mtimeNs, generation });
    return generation;
  } catch {
    return null;
  }
}
