import { Migration } from '@mikro-orm/migrations';

export class Migration20261125044824_admin extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`media\` (\`id\` integer not null primary key autoincrement, \`filename\` text not null, \`content_type\` text not null, \`size\` integer not null, \`sha256\` text not null, \`width\` integer null, \`height\` integer null, \`data\` blob not null, \`created_at\` datetime not null);`,
    );
    this.addSql(`create unique index \`media_sha256_unique\` on \`media\` (\`sha256\`);`);

    this.addSql(
      `create table \`revision\` (\`id\` integer not null primary key autoincrement, \`post_id\` integer not null, \`title\` text not null, \`markdown\` text not null, \`created_at\` datetime not null, constraint \`revision_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`revision_post_id_index\` on \`revision\` (\`post_id\`);`);
    this.addSql(`create index \`revision_post_id_created_at_index\` on \`revision\` (\`post_id\`, \`created_at\`);`);

    this.addSql(
      `create table \`slug_redirect\` (\`from_slug\` text not null, \`post_id\` integer not null, constraint \`slug_redirect_post_id_foreign\` foreign key(\`post_id\`) references \`post\`(\`id\`) on delete cascade on update cascade, primary key (\`from_slug\`));`,
    );
    this.addSql(`create index \`slug_redirect_post_id_index\` on \`slug_redirect\` (\`post_id\`);`);

    this.addSql(
      `create table \`user\` (\`id\` integer not null primary key autoincrement, \`username\` text not null, \`password_hash\` text not null, \`session_epoch\` integer not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
    );
    this.addSql(`create unique index \`user_username_unique\` on \`user\` (\`username\`);`);
  }
}
