import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** An uploaded image. The bytes live in the database so that Litestream replicates them. */
@Entity()
export class Media {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** URL-safe file name, shown in the URL: /media/:id/:filename. */
  @Property({ type: 'string', length: 200 })
  filename: string;

  @Property({ type: 'string', length: 100 })
  contentType: string;

  @Property({ type: 'integer' })
  size: number;

  /** Hex SHA-256 of the bytes: the ETag, and how a second upload of the same file is recognised. */
  @Property({ type: 'string', length: 64 })
  @Unique()
  sha256: string;

  @Property({ type: 'integer', nullable: true })
  width: number | null = null;

  @Property({ type: 'integer', nullable: true })
  height: number | null = null;

  /** Lazy: lists of media never load the bytes. */
  @Property({ type: 'blob', lazy: true })
  data: Buffer;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(filename: string, contentType: string, data: Buffer, sha256: string) {
    this.filename = filename;
    this.contentType = contentType;
    this.data = data;
    this.size = data.length;
    this.sha256 = sha256;
  }
}
