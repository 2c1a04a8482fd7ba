import { Migration } from '@mikro-orm/migrations';

/**
 * Image bytes leave the database (the media store keeps them): `data` becomes nullable (emptied by
 * the boot-time move, media/legacy-images.ts), and each image records its renditions. SQLite cannot
 * relax NOT NULL in place, so the table is rebuilt; the id sequence is carried over so that an id
 * of a deleted image is never given again (its URL may sit in caches as immutable).
 */
export class Migration20261202071621_media_store extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`media__new\` (\`id\` integer not null primary key autoincrement, \`filename\` text not null, \`content_type\` text not null, \`size\` integer not null, \`sha256\` text not null, \`width\` integer null, \`height\` integer null, \`animated\` integer not null default false, \`renditions\` json not null default '[]', \`data\` blob null, \`created_at\` datetime not null);`,
    );
    this.addSql(
      `insert into \`media__new\` (\`id\`, \`filename\`, \`content_type\`, \`size\`, \`sha256\`, \`width\`, \`height\`, \`data\`, \`created_at\`) select \`id\`, \`filename\`, \`content_type\`, \`size\`, \`sha256\`, \`width\`, \`height\`, \`data\`, \`created_at\` from \`media\`;`,
    );
    this.addSql(`delete from sqlite_sequence where name = 'media__new';`);
    this.addSql(`insert into sqlite_sequence (name, seq) select 'media__new', seq from sqlite_sequence where name = 'media';`);
    this.addSql(`drop table \`media\`;`);
    this.addSql(`alter table \`media__new\` rename to \`media\`;`);
    this.addSql(`create unique index \`media_sha256_unique\` on \`media\` (\`sha256\`);`);
  }
}
