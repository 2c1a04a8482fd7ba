import type Database from 'better-sqlite3';

export type IndexedColumn = 'title' | 'body' | 'tags';

/** One post's entry in the search index: each column's words as FTS5 split them, in order. */
export type IndexedPost = { rowid: number } & Partial<Record<IndexedColumn, string>>;

/**
 * What the search index holds, read back from the index itself: `post_search` keeps no copy of
 * the text (a contentless FTS5 table: selecting its columns gives NULL), so the words come from
 * FTS5's own `fts5vocab` view of it, lower-cased and without diacritics as the tokenizer stores them.
 */
export function indexedPosts(db: Database.Database, columns: IndexedColumn[] = ['title', 'body', 'tags']): IndexedPost[] {
  db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.post_search_terms USING fts5vocab(main, post_search, instance)');
  const rows = db.prepare('SELECT rowid AS id FROM post_search ORDER BY rowid').all() as { id: number }[];
  const posts = new Map<number, IndexedPost>(rows.map((r) => [r.id, { rowid: r.id }]));
  const terms = db
    .prepare(
      `SELECT doc, col, group_concat(term, ' ' ORDER BY offset) AS words FROM temp.post_search_terms
        WHERE col IN (${columns.map(() => '?').join(', ')}) GROUP BY doc, col`,
    )
    .all(...columns) as { doc: number; col: IndexedColumn; words: string }[];
  for (const t of terms) {
    const post = posts.get(t.doc);
    if (post) post[t.col] = t.words;
  }
  return [...posts.values()];
}
