import { Migration } from '@mikro-orm/migrations';

export class Migration20261125043331_init extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`page\` (\`id\` integer not null primary key autoincrement, \`slug\` text not null, \`title\` text not null, \`markdown\` text not null, \`html\` text not null default '', \`excerpt\` text not null default '', \`status\` text not null default 'draft', \`nav_order\` integer null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
    );
    this.addSql(`create unique index \`page_slug_unique\` on \`page\` (\`slug\`);`);

    this.addSql(
      `create table \`post\` (\`id\` integer not null primary key autoincrement, \`slug\` text not null, \`title\` text not null, \`markdown\` text not null, \`html\` text not null default '', \`excerpt\` text not null default '', \`word_count\` integer not null default 0, \`reading_minutes\` integer not null default 1, \`status\` text not null default 'draft', \`published_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
    );
    this.addSql(`create unique index \`post_slug_unique\` on \`post\` (\`slug\`);`);
    this.addSql(`create index \`post_status_published_at_index\` on \`post\` (\`status\`, \`published_at\`);`);

    this.addSql(
      `create table \`post_view\` (\`post_id\` integer not null, \`day\` text not null, \`count\` integer not null default 0, constraint \`post_view_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade, primary key (\`post_id\`, \`day\`));`,
    );
    this.addSql(`create index \`post_view_post_id_index\` on \`post_view\` (\`post_id\`);`);

    this.addSql(`create table \`setting\` (\`key\` text not null, \`value\` text not null, primary key (\`key\`));`);

    this.addSql(
      `create table \`tag\` (\`id\` integer not null primary key autoincrement, \`slug\` text not null, \`name\` text not null);`,
    );
    this.addSql(`create unique index \`tag_slug_unique\` on \`tag\` (\`slug\`);`);

    this.addSql(
      `create table \`post_tags\` (\`post_id\` integer not null, \`tag_id\` integer not null, constraint \`post_tags_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade, constraint \`post_tags_tag_id_foreign\` foreign key(\`tag_id\`) references \`tag\`(\`id\`) on delete cascade on update cascade, primary key (\`post_id\`, \`tag_id\`));`,
    );
    this.addSql(`create index \`post_tags_post_id_index\` on \`post_tags\` (\`post_id\`);`);
    this.addSql(`create index \`post_tags_tag_id_index\` on \`post_tags\` (\`tag_id\`);`);

    // Added by hand: the FTS5 index the ORM does not know (see FOREIGN_TABLES). Rows are keyed by
    // post id and written by SearchService inside each save's transaction.
    this.addSql(
      `create virtual table \`post_search\` using fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2');`,
    );
  }
}
