import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type MediaPurpose = 'social-card';

/** One resized copy of an image, stored beside the original (see media/media-keys.ts). */
export interface RenditionInfo {
  width: number;
  height: number;
  format: 'webp' | 'avif';
  size: number;
}

/**
 * An uploaded image: metadata only. The bytes are immutable objects in the media store (a folder
 * beside the database, or the blog's bucket), named by `sha256`; see media/media-store.ts.
 */
@Entity()
export class Media {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** URL-safe file name, shown in the URL: /media/:id/:filename. */
  @Property({ type: 'string', length: 200 })
  filename: string;

  @Property({ type: 'string', length: 100 })
  contentType: string;

  /** Bytes of the original as served. */
  @Property({ type: 'integer' })
  size: number;

  /** Hex SHA-256 of the uploaded bytes: the object names, the ETag, and how a second upload of the same file is recognised. */
  @Property({ type: 'string', length: 64 })
  @Unique()
  sha256: string;

  @Property({ type: 'integer', nullable: true })
  width: number | null = null;

  @Property({ type: 'integer', nullable: true })
  height: number | null = null;

  /** Kept as uploaded (animation and all): no renditions. */
  @Property({ type: 'boolean', default: false })
  animated = false;

  @Property({ type: 'json', default: '[]' })
  renditions: RenditionInfo[] = [];

  /**
   * Why the image pipeline refused an image from before it (damaged, over the pixel limit): it
   * keeps no renditions and is served as it is, and no start tries it again (each would load sharp
   * and read it from the bucket before listening). Null for everything the pipeline accepted.
   */
  @Property({ type: 'text', nullable: true })
  refused: string | null = null;

  /**
   * Null for the author's images. 'social-card': made by the blog (a post's card), kept out of the
   * media library and deleted once no post names it.
   */
  @Property({ type: 'string', length: 20, nullable: true })
  purpose: MediaPurpose | null = null;

  /**
   * Images uploaded before the media store kept their bytes here. The move to the store empties it
   * (apps/blog/src/media/legacy-images.ts); nothing else reads or writes it. Lazy: lists never load it.
   */
  @Property({ type: 'blob', lazy: true, nullable: true })
  data: Buffer | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(filename: string, contentType: string, size: number, sha256: string) {
    this.filename = filename;
    this.contentType = contentType;
    this.size = size;
    this.sha256 = sha256;
  }
}
