import { Migration } from '@mikro-orm/migrations';

/**
 * The search index without its own copy of the text. FTS5 kept each post's title, plain text and
 * tags a second time (`post_search_content`): 28 % of a 500-post database, restored into the
 * instance's memory at every cold start. A contentless table (`content=''`) keeps only the index;
 * `contentless_delete=1` (SQLite ≥ 3.43) lets a save replace a post's entry as before. Snippets
 * and highlights, which read the text, are made from the page's hits at query time
 * (search.service.ts). The index moves over as it is: nothing is re-rendered.
 */
export class Migration20261203070000_search_contentless extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create virtual table \`post_search_new\` using fts5(title, body, tags, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');`,
    );
    this.addSql(
      `insert into \`post_search_new\` (rowid, title, body, tags) select rowid, title, body, tags from \`post_search\`;`,
    );
    this.addSql(`drop table \`post_search\`;`);
    this.addSql(`alter table \`post_search_new\` rename to \`post_search\`;`);
    // One b-tree segment instead of one per inserted batch: the smallest index, and the fastest.
    this.addSql(`insert into \`post_search\` (\`post_search\`) values ('optimize');`);
  }
}
