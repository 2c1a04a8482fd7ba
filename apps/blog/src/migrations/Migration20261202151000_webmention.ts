import { Migration } from '@mikro-orm/migrations';

export class Migration20261202151000_webmention extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`webmention\` (\`id\` integer not null primary key autoincrement, \`post_id\` integer not null, \`source\` text not null, \`target\` text not null, \`kind\` text not null default 'mention', \`approved\` integer not null default false, \`author_name\` text null, \`author_url\` text null, \`author_photo\` text null, \`content\` text null, \`received_at\` datetime not null, \`verified_at\` datetime not null, constraint \`webmention_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`webmention_post_id_index\` on \`webmention\` (\`post_id\`);`);
    this.addSql(`create index \`webmention_post_id_approved_index\` on \`webmention\` (\`post_id\`, \`approved\`);`);
    this.addSql(`create unique index \`webmention_source_target_unique\` on \`webmention\` (\`source\`, \`target\`);`);

    this.addSql(
      `create table \`webmention_sent\` (\`id\` integer not null primary key autoincrement, \`post_id\` integer not null, \`target\` text not null, \`content_hash\` text not null, \`endpoint\` text null, \`outcome\` text not null, \`sent_at\` datetime not null, constraint \`webmention_sent_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`webmention_sent_post_id_index\` on \`webmention_sent\` (\`post_id\`);`);
    this.addSql(
      `create unique index \`webmention_sent_post_id_target_unique\` on \`webmention_sent\` (\`post_id\`, \`target\`);`,
    );
  }
}
