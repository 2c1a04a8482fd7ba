import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import type { MediaStore, StoredObject } from '@app/content';

/** Names a key may have here: ours are hex, dashes and dots (media-keys.ts); nothing climbs out. */
const SAFE_KEY = /^[0-9a-z][0-9a-z.-]{0,200}$/;

/** Local runs: one file per object in a folder beside the database. */
export class FolderMediaStore implements MediaStore {
  private ready: Promise<unknown> | null = null;

  constructor(readonly location: string) {}

  async put(key: string, data: Buffer): Promise<void> {
    await this.folder();
    const path = this.path(key);
    // Written under a temporary name, synced, then renamed: a crash never leaves half an image
    // under a real name (the sweep removes the temporary file).
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  stream(key: string): Readable {
    return createReadStream(this.path(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async list(keyPrefix = ''): Promise<StoredObject[]> {
    let names: string[];
    try {
      names = await readdir(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const found: StoredObject[] = [];
    for (const key of names.filter((n) => n.startsWith(keyPrefix) && SAFE_KEY.test(n))) {
      const info = await stat(join(this.location, key)).catch(() => null);
      if (info?.isFile()) found.push({ key, size: info.size, updated: info.mtime });
    }
    return found;
  }

  private path(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`not a media key: ${key}`);
    return join(this.location, key);
  }

  private folder(): Promise<unknown> {
    this.ready ??= mkdir(this.location, { recursive: true });
    return this.ready;
  }
}
