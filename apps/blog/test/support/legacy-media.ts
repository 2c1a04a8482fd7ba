import { createHash } from 'node:crypto';

import Database from 'better-sqlite3';

export interface LegacyImage {
  id: number;
  filename: string;
  contentType: string;
  data: Buffer;
  width: number | null;
  height: number | null;
  /** The sha256 the row names (the bytes' own by default). */
  sha256?: string;
}

/**
 * Turns a migrated database back into what a blog had before the media store: the old `media`
 * table with the bytes inside, and the media migrations not yet run. Returns the open database
 * (for extra changes); the caller closes it. Later migrations that change `media` are undone and
 * run again too (social cards: media.purpose, and what it added to posts), since the media store's
 * migration rebuilds the table without their columns.
 */
export function withLegacyMediaTable(databasePath: string, images: LegacyImage[]): Database.Database {
  const db = new Database(databasePath);
  db.exec(`drop table media;
    create table media (id integer not null primary key autoincrement, filename text not null, content_type text not null, size integer not null, sha256 text not null, width integer null, height integer null, data blob not null, created_at datetime not null);
    create unique index media_sha256_unique on media (sha256);
    alter table post drop column card_id;
    alter table post drop column card_source;
    alter table post drop column card_image_id;
    delete from mikro_orm_migrations where name like '%media_store' or name like '%media_refused' or name like '%social_card';`);
  const insert = db.prepare(
    'insert into media (id, filename, content_type, size, sha256, width, height, data, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const i of images) {
    const sha256 = i.sha256 ?? createHash('sha256').update(i.data).digest('hex');
    insert.run(i.id, i.filename, i.contentType, i.data.length, sha256, i.width, i.height, i.data, Date.now());
  }
  return db;
}
