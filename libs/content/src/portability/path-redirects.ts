import type { EntityManager } from '@mikro-orm/better-sqlite';

import { PathRedirect } from '../entities/index.js';
import { isLocalTarget, oldPathKey } from '../redirects.js';
import type { ImportCounts } from './importer.js';

/**
 * The old blog's addresses into the redirect table, in the import's transaction. One that already
 * leads where the file says is left alone (a second import changes nothing); one the author
 * pointed elsewhere is updated to the file's target; an address that would lead to itself
 * (a page at `/about/` that lives at `/about`) is not a redirect at all.
 */
export async function importOldAddresses(
  em: EntityManager,
  addresses: { from: string; to: string }[],
  c: ImportCounts,
): Promise<void> {
  const wanted = new Map<string, string>();
  for (const { from, to } of addresses) {
    const key = oldPathKey(from);
    if (!key || key === '/' || !isLocalTarget(to) || oldPathKey(to) === key) continue;
    if (!wanted.has(key)) wanted.set(key, to);
  }
  if (wanted.size === 0) return;
  const existing = new Map(
    (await em.find(PathRedirect, { fromPath: { $in: [...wanted.keys()] } })).map((r) => [r.fromPath, r.toPath]),
  );
  for (const [from, to] of wanted) {
    const had = existing.get(from);
    if (had === to) {
      c.unchanged++;
      continue;
    }
    if (had === undefined) c.created++;
    else c.updated++;
    await em.upsert(PathRedirect, new PathRedirect(from, to));
  }
}
