import { createHash } from 'node:crypto';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { ContentEvents } from './content-events.js';
import { Media, Page, Post } from './entities/index.js';
import { mediaUrl } from './urls.js';
import { ContentError, ContentNotFoundError } from './errors.js';
import { isCompleteImage } from './image-check.js';
import { slugify } from './slug.js';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Raster formats only: SVG can carry script, so it is refused rather than half-sanitized. */
const ALLOWED = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/webp', 'webp'],
  ['image/gif', 'gif'],
]);

export class UnsupportedMediaError extends ContentError {
  readonly status = 415;
}
export class MediaTooLargeError extends ContentError {
  readonly status = 413;
}
/** An image a post or page still shows. */
export class MediaInUseError extends ContentError {
  readonly status = 409;
}

/** An image without its bytes. */
export type StoredMedia = Omit<Media, 'data'>;
export type MediaSummary = StoredMedia & { url: string; usedBy: number };

@Injectable()
export class MediaService {
  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
  ) {}

  /** Stores an image after checking its bytes (never its name or the browser's word for its type). */
  async upload(data: Buffer, originalName: string): Promise<StoredMedia> {
    if (data.length === 0) throw new UnsupportedMediaError('The file is empty.');
    if (data.length > MAX_UPLOAD_BYTES)
      throw new MediaTooLargeError(`Images may be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);
    const { fileTypeFromBuffer } = await import('file-type');
    const type = await fileTypeFromBuffer(data);
    const ext = type && ALLOWED.get(type.mime);
    if (!type || !ext) throw new UnsupportedMediaError('Only PNG, JPEG, WebP and GIF images can be uploaded.');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const existing = await this.em.findOne(Media, { sha256 }, { exclude: ['data'] });
    if (existing) return existing;
    const base = slugify(originalName.replace(/\.[^.]*$/, '')).slice(0, 80) || 'image';
    const media = new Media(`${base}.${ext}`, type.mime, data, sha256);
    const damaged = new UnsupportedMediaError('The image could not be read; it may be damaged or cut short.');
    if (!isCompleteImage(type.mime, data)) throw damaged;
    const { imageSize } = await import('image-size');
    try {
      // An exact-size copy: on a pooled Buffer, image-size could read past the upload's end.
      const size = imageSize(new Uint8Array(data));
      if (!size.width || !size.height) throw damaged;
      media.width = size.width;
      media.height = size.height;
    } catch {
      throw damaged;
    }
    await this.em.persistAndFlush(media);
    this.events.changed('media');
    return media;
  }

  /** The bytes and headers' facts of one image. */
  async get(id: number): Promise<Media | null> {
    return this.em.findOne(Media, id, { populate: ['data'] });
  }

  async list(): Promise<MediaSummary[]> {
    const media = await this.em.find(Media, {}, { exclude: ['data'], orderBy: { createdAt: 'desc', id: 'desc' } });
    return Promise.all(media.map(async (m) => ({ ...m, url: mediaUrl(m), usedBy: await this.usage(m.id) })));
  }

  /** Deletes an image that no post or page links to. */
  async delete(id: number): Promise<void> {
    const media = await this.em.findOne(Media, id, { exclude: ['data'] });
    if (!media) throw new ContentNotFoundError(`Image ${id} does not exist.`);
    const used = await this.usage(id);
    if (used > 0) throw new MediaInUseError(`This image is used in ${used} post(s) or page(s); remove it from them first.`);
    await this.em.removeAndFlush(media);
    this.events.changed('media');
  }

  private async usage(id: number): Promise<number> {
    const needle = { $like: `%/media/${id}/%` };
    const [posts, pages] = await Promise.all([
      this.em.count(Post, { markdown: needle }),
      this.em.count(Page, { markdown: needle }),
    ]);
    return posts + pages;
  }
}
