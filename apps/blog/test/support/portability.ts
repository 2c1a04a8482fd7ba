import { join } from 'node:path';

import Database from 'better-sqlite3';

import { assertBuilt, ROOT, spawnCaptured } from './process.js';
import { indexedPosts } from './search-index.js';

export const FIXTURES = join(ROOT, 'apps', 'blog', 'test', 'fixtures', 'import');
const CLI_DIR = join(ROOT, 'dist', 'apps', 'blog', 'src', 'cli');

export interface CliResult {
  code: number | null;
  output: string;
}

/** Runs a compiled CLI (export, import, db-pull) as `npm run …` would, and waits for it. */
export async function runCli(
  name: 'export' | 'import' | 'db-pull',
  args: string[],
  env: Record<string, string>,
): Promise<CliResult> {
  assertBuilt();
  const proc = spawnCaptured(process.execPath, [join(CLI_DIR, `${name}.js`), ...args], env);
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

/** Everything an import may touch, as comparable rows: "the blog is unchanged" means this is equal. */
export function contentState(databasePath: string): Record<string, unknown[]> {
  const db = new Database(databasePath, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all();
    return {
      posts: all('SELECT * FROM post ORDER BY id'),
      pages: all('SELECT * FROM page ORDER BY id'),
      tags: all('SELECT * FROM tag ORDER BY id'),
      postTags: all('SELECT * FROM post_tags ORDER BY post_id, tag_id'),
      redirects: all('SELECT * FROM slug_redirect ORDER BY from_slug'),
      revisions: all('SELECT * FROM revision ORDER BY id'),
      settings: all('SELECT * FROM setting ORDER BY key'),
      media: all('SELECT id, sha256 FROM media ORDER BY id'),
      search: indexedPosts(db, ['title', 'tags']),
    };
  } finally {
    db.close();
  }
}

/** One row of a table by a column, from the file: for assertions on what an import wrote. */
export function rows<T>(databasePath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** An export with its one moment of difference taken out. */
export const withoutExportedAt = (json: string) => json.replace(/"exportedAt": "[^"]+"/, '"exportedAt": "…"');
