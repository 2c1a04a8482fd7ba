import Database from 'better-sqlite3';

import { hashOfKey, type MediaStore } from '@app/content';

/**
 * Copies the image objects a database names from one store to another (db:pull: the bucket's
 * images into the folder beside the pulled file). Objects are immutable, so one already there is
 * skipped; objects no row names are left behind. Resolves to what was copied and skipped.
 */
export async function pullMedia(
  databasePath: string,
  from: MediaStore,
  to: MediaStore,
): Promise<{ copied: number; present: number }> {
  const db = new Database(databasePath, { readonly: true });
  let wanted: Set<string>;
  try {
    const hasTable = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'media'").get();
    wanted = new Set(hasTable ? (db.prepare('select sha256 from media').all() as { sha256: string }[]).map((r) => r.sha256) : []);
  } finally {
    db.close();
  }
  if (wanted.size === 0) return { copied: 0, present: 0 };
  const here = new Set((await to.list()).map((o) => o.key));
  let copied = 0;
  let present = 0;
  for (const object of await from.list()) {
    const hash = hashOfKey(object.key);
    if (!hash || !wanted.has(hash)) continue;
    if (here.has(object.key)) {
      present++;
      continue;
    }
    const data = await from.read(object.key);
    if (!data) continue; // deleted meanwhile
    await to.put(object.key, data, '');
    copied++;
  }
  return { copied, present };
}
