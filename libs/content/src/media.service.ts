import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { Clock } from './clock.js';
import { ContentEvents } from './content-events.js';
import { Media, type MediaPurpose, Page, Post, Revision } from './entities/index.js';
import { ContentError, ContentNotFoundError } from './errors.js';
import { isCompleteImage } from './image-check.js';
import type { ImageFacts, ImageLookup } from './markdown/images.js';
import { ImageRejectedError, type PreparedImage, prepareImage } from './media/image-pipeline.js';
import { MediaCache } from './media/media-cache.js';
import { hashOfKey, originalKey, renditionKey } from './media/media-keys.js';
import { MEDIA_STORE, type MediaStore } from './media/media-store.js';
import { renderMarkdown } from './lazy-renderer.js';
import { slugify } from './slug.js';
import { mediaIdsIn, mediaUrl, mediaUrlPrefix, renditionFilename } from './urls.js';
import { WRITE_GATE, type WriteGate } from './write-gate.js';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Raster formats only: SVG can carry script, so it is refused rather than half-sanitized. */
const ALLOWED = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/webp', 'webp'],
  ['image/gif', 'gif'],
]);

/** An object the sweep finds without a row is deleted once it is this old (an upload may be writing it). */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** At most one sweep per instance in this time: it lists the whole store. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;
/**
 * How long one sweep may spend deleting on the author's request that triggers it (the listing and
 * one query come first); what is left waits for the next sweep.
 */
const SWEEP_BUDGET_MS = 1000;

/**
 * How long an author's visit to the dashboard or the media library may spend giving images from
 * before renditions (catchUpRenditions; the image under way is finished, 2–3 s for a photo here).
 */
export const RENDITIONS_ON_VISIT_MS = 2000;
/**
 * How long the library's "Make renditions now" may spend per press: well inside Cloud Run's request
 * timeout (300 s), short enough that the author sees progress, long enough for ~8 photos here.
 */
export const RENDITIONS_ON_REQUEST_MS = 20_000;

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

/** Images whose rows exist but whose original is in neither the store nor the database. */
export class MediaBytesMissingError extends ContentError {
  readonly status = 409;
}

/** An image without its bytes. */
export type StoredMedia = Omit<Media, 'data'>;
export interface MediaUse {
  kind: 'post' | 'page';
  id: number;
  title: string;
  /**
   * Set when only an earlier revision of the post shows the image (its newest such revision):
   * restoring it would bring the image back, so it counts as a use.
   */
  revision?: { id: number; savedAt: Date };
}
export type MediaSummary = StoredMedia & { url: string; usedBy: number; uses: MediaUse[]; renditionBytes: number };

/** What a `/media/:id/:name` request resolves to. */
export interface MediaObjectRef {
  id: number;
  key: string;
  contentType: string;
  size: number;
  etag: string;
}

export type MediaBody = { data: Buffer } | { stream: Readable };

/** Where the renditions step got to: images completed, refused by the pipeline, and still to do. */
export interface RenditionsProgress {
  done: number;
  refused: { id: number; filename: string; reason: string }[];
  left: number;
}

/**
 * Rows that may lack what an upload makes today: the author's images (not the social cards the blog
 * made: shared as their PNG, never shown with srcset), moved out of the database (or never in it),
 * neither animated nor given renditions. An animated GIF has none by design and says so.
 */
const WITHOUT_RENDITIONS = `purpose is null and data is null and animated = 0 and refused is null and (renditions is null or renditions = '[]')`;

const extensionOf = (mime: string) => ALLOWED.get(mime) ?? 'bin';
export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** What one orphan sweep did: objects deleted, and whether its budget ran out before the end. */
export interface SweepOutcome {
  deleted: number;
  cutShort: boolean;
}

@Injectable()
export class MediaService {
  private readonly logger = new Logger('Media');
  private lastSweep = 0;
  private sweeping: Promise<SweepOutcome | null> | null = null;
  /** Set while images uploaded before the media store still have their bytes in the database. */
  private legacyLeft = false;
  private catchingUp: Promise<RenditionsProgress | null> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly events: ContentEvents,
    @Inject(MEDIA_STORE) private readonly store: MediaStore,
    private readonly cache: MediaCache,
    private readonly clock: Clock,
    @Optional() @Inject(WRITE_GATE) private readonly gate?: WriteGate,
  ) {}

  get storeLocation(): string {
    return this.store.location;
  }

  /**
   * Stores an image after checking its bytes (never its name or the browser's word for its type).
   * The objects are written first and the row last: the upload is acknowledged only once both are
   * durable, and a row never names an object that is not there.
   */
  async upload(data: Buffer, originalName: string): Promise<StoredMedia> {
    const mime = await this.check(data);
    const prepared = await this.prepare(data, mime);
    const sha256 = sha256Of(prepared.original);
    const existing = await this.em.findOne(Media, { sha256 }, { exclude: ['data'] });
    if (existing) {
      // The author uploaded a card the blog made (e.g. to use it elsewhere): it is theirs now.
      if (existing.purpose) {
        existing.purpose = null;
        await this.em.flush();
      }
      return existing;
    }
    const base = slugify(originalName.replace(/\.[^.]*$/, '')).slice(0, 80) || 'image';
    const media = this.describe(new Media(`${base}.${extensionOf(mime)}`, mime, 0, sha256), prepared);
    await this.writeObjects(media, prepared);
    try {
      await this.em.persistAndFlush(media);
    } catch (err) {
      this.em.clear();
      if (err instanceof UniqueConstraintViolationException) {
        // The same image, uploaded at the same moment by another request: that row won.
        const winner = await this.em.findOne(Media, { sha256 }, { exclude: ['data'] });
        if (winner) return winner;
      }
      await this.discardUnreferenced(sha256);
      throw err;
    }
    this.events.changed('media');
    await this.sweepIfDue();
    return media;
  }

  /**
   * Stores an image the blog made (a social card, PNG) and hands its row to `link`, which names it
   * where it is used, in the same transaction. The object is written first (content-addressed:
   * the same bytes name the same object and row, and writing it again is harmless), then one
   * transaction finds or inserts the row and runs `link`. Why one transaction: a row committed on
   * its own and named later looks unused in between, and another card's clean-up (which deletes
   * card rows no post names) could delete it, leaving the post naming a row that is gone.
   */
  async storeGenerated<T>(
    png: Buffer,
    generated: { filename: string; purpose: MediaPurpose; width: number; height: number },
    link: (em: EntityManager, media: StoredMedia) => Promise<T>,
  ): Promise<{ media: StoredMedia; linked: T }> {
    const sha256 = sha256Of(png);
    await this.store.put(originalKey(sha256, 'png'), png, 'image/png');
    return this.em.fork().transactional(async (em) => {
      // Inside the write transaction (BEGIN IMMEDIATE): no other request can insert or delete it now.
      let media: StoredMedia | null = await em.findOne(Media, { sha256 }, { exclude: ['data'] });
      if (!media) {
        const row = Object.assign(new Media(generated.filename, 'image/png', png.length, sha256), {
          width: generated.width,
          height: generated.height,
          purpose: generated.purpose,
        });
        await em.persist(row).flush();
        media = row;
      }
      return { media, linked: await link(em, media) };
    });
  }

  /** An image by id, without its bytes (null if there is none). */
  findById(id: number): Promise<StoredMedia | null> {
    return this.em.findOne(Media, id, { exclude: ['data'] });
  }

  /** Type, size and completeness of an upload; throws the author's message when it is refused. */
  async check(data: Buffer): Promise<string> {
    if (data.length === 0) throw new UnsupportedMediaError('The file is empty.');
    if (data.length > MAX_UPLOAD_BYTES)
      throw new MediaTooLargeError(`Images may be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);
    const { fileTypeFromBuffer } = await import('file-type');
    const type = await fileTypeFromBuffer(data);
    if (!type || !ALLOWED.has(type.mime)) throw new UnsupportedMediaError('Only PNG, JPEG, WebP and GIF images can be uploaded.');
    if (!isCompleteImage(type.mime, data))
      throw new UnsupportedMediaError('The image could not be read; it may be damaged or cut short.');
    return type.mime;
  }

  /**
   * Decodes the image and makes the clean original and its renditions (sharp; a second or two for
   * a large photo). The original's SHA-256 (`sha256Of(prepared.original)`) names the image.
   */
  async prepare(data: Buffer, mime: string): Promise<PreparedImage> {
    try {
      return await prepareImage(data, mime);
    } catch (err) {
      if (err instanceof ImageRejectedError) throw new UnsupportedMediaError(err.message);
      throw err;
    }
  }

  /** Fills in a row's facts about its prepared image (sizes, dimensions, renditions). */
  describe(media: Media, prepared: PreparedImage): Media {
    media.size = prepared.original.length;
    media.width = prepared.width;
    media.height = prepared.height;
    media.animated = prepared.animated;
    media.renditions = prepared.renditions.map((r) => ({
      width: r.width,
      height: r.height,
      format: r.format,
      size: r.data.length,
    }));
    return media;
  }

  /**
   * Writes an image's objects (original and renditions). Resolves once every write has returned;
   * on any failure the objects already written are removed (unless a row names them).
   */
  async writeObjects(media: Media, prepared: PreparedImage): Promise<void> {
    const writes: [string, Buffer, string][] = [
      [originalKey(media.sha256, extensionOf(media.contentType)), prepared.original, media.contentType],
      ...prepared.renditions.map((r): [string, Buffer, string] => [
        renditionKey(media.sha256, r.width, r.format),
        r.data,
        `image/${r.format}`,
      ]),
    ];
    try {
      await Promise.all(writes.map(([key, bytes, type]) => this.store.put(key, bytes, type)));
    } catch (err) {
      await this.discardUnreferenced(media.sha256).catch(() => undefined);
      throw err;
    }
  }

  /** The original's bytes as served (export, backup); legacy rows not moved yet still hold them. */
  async originalBytes(media: StoredMedia): Promise<Buffer> {
    const data = await this.store.read(originalKey(media.sha256, extensionOf(media.contentType)));
    if (data) return data;
    const legacy = await this.em.fork().findOne(Media, media.id, { populate: ['data'] });
    if (legacy?.data) return Buffer.from(legacy.data);
    throw new ContentNotFoundError(`The bytes of image ${media.id} (${media.filename}) are missing from ${this.store.location}.`);
  }

  /**
   * The images whose original is missing: in neither the store nor (legacy rows) the database.
   * One listing of the store, not a read per image: an export checks this before its first byte.
   */
  async missingOriginals(): Promise<StoredMedia[]> {
    const stored = new Set((await this.store.list()).map((o) => o.key));
    // Uploads only (purpose null): a generated social card is not exported, so it cannot hold one back.
    const rows = await this.em.fork().find(Media, { data: null, purpose: null }, { exclude: ['data'], orderBy: { id: 'asc' } });
    return rows.filter((m) => !stored.has(originalKey(m.sha256, extensionOf(m.contentType))));
  }

  /** Removes an image's objects if no row names its hash (any more). */
  async discardUnreferenced(sha256: string): Promise<void> {
    if (await this.em.fork().findOne(Media, { sha256 }, { fields: ['id'] })) return;
    const keys = (await this.store.list(sha256)).map((o) => o.key).filter((key) => hashOfKey(key) === sha256);
    for (const key of keys) {
      await this.store.delete(key);
      this.cache.delete(key);
    }
  }

  /** The facts the renderer needs about the uploaded images a text links to. */
  async imagesIn(markdown: string, em: EntityManager = this.em): Promise<ImageLookup> {
    const ids = mediaIdsIn(markdown);
    if (ids.length === 0) return new Map();
    const rows = await em.find(Media, { id: { $in: ids } }, { fields: ['id', 'filename', 'width', 'height', 'renditions'] });
    return new Map(
      rows.map((m): [number, ImageFacts] => [
        m.id,
        { id: m.id, filename: m.filename, width: m.width, height: m.height, renditions: m.renditions },
      ]),
    );
  }

  /** Which object `/media/:id/:name` names: a rendition's file name, else the original. */
  async locate(id: number, name: string): Promise<MediaObjectRef | null> {
    const media = await this.em.findOne(Media, id, { exclude: ['data'] });
    if (!media) return null;
    if (name !== media.filename) {
      const rendition = media.renditions.find((r) => renditionFilename(media, r) === name);
      if (rendition) {
        return {
          id,
          key: renditionKey(media.sha256, rendition.width, rendition.format),
          contentType: `image/${rendition.format}`,
          size: rendition.size,
          etag: `"${media.sha256}-${rendition.width}w-${rendition.format}"`,
        };
      }
    }
    const key = originalKey(media.sha256, extensionOf(media.contentType));
    return { id, key, contentType: media.contentType, size: media.size, etag: `"${media.sha256}"` };
  }

  /** The bytes of a located object: from memory if hot, else read (small) or streamed (large). */
  async body(ref: MediaObjectRef): Promise<MediaBody | null> {
    const hit = this.cache.get(ref.key);
    if (hit) return { data: hit };
    if (this.legacyLeft) {
      const legacy = await this.em.fork().findOne(Media, { id: ref.id, data: { $ne: null } }, { populate: ['data'] });
      if (legacy?.data) return { data: Buffer.from(legacy.data) };
    }
    if (!this.cache.fits(ref.size)) return { stream: this.store.stream(ref.key) };
    const data = await this.store.read(ref.key);
    if (!data) return null;
    this.cache.set(ref.key, data);
    return { data };
  }

  /** The author's images (not the cards the blog made). */
  async list(): Promise<MediaSummary[]> {
    const media = await this.em.find(Media, { purpose: null }, { exclude: ['data'], orderBy: { createdAt: 'desc', id: 'desc' } });
    return Promise.all(
      media.map(async (m) => {
        const uses = await this.uses(m.id);
        return {
          ...m,
          url: mediaUrl(m),
          usedBy: uses.length,
          uses,
          renditionBytes: m.renditions.reduce((sum, r) => sum + r.size, 0),
        };
      }),
    );
  }

  /**
   * Deletes an image that no post or page links to, nor any revision of a post (a restore would
   * show it broken): its row first, then its objects.
   */
  async delete(id: number): Promise<void> {
    const media = await this.em.findOne(Media, id, { exclude: ['data'] });
    if (!media) throw new ContentNotFoundError(`Image ${id} does not exist.`);
    const uses = await this.uses(id);
    const current = uses.filter((u) => !u.revision).length;
    if (current > 0) throw new MediaInUseError(`This image is used in ${current} post(s) or page(s); remove it from them first.`);
    const [kept] = uses;
    if (kept?.revision) {
      throw new MediaInUseError(
        `An earlier revision of the post “${kept.title}” (revision ${kept.revision.id}, saved ${kept.revision.savedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC) shows this image; restoring it would show a broken image, so the image is kept.`,
      );
    }
    await this.em.removeAndFlush(media);
    this.events.changed('media');
    // A failure here leaves objects no row names: never served (serving starts from the row), and
    // deleted by the next sweep.
    await this.discardUnreferenced(media.sha256).catch(() => undefined);
    await this.sweepIfDue();
  }

  /**
   * Deletes objects no row references and older than the grace period (uploads that failed after
   * writing, deletes whose object removal failed, originals the boot's upgrade renamed). Stops
   * deleting at `deadline` (epoch ms). Resolves to how many were deleted.
   */
  async sweepOrphans(now = this.clock.now().getTime(), graceMs = ORPHAN_GRACE_MS, deadline = Infinity): Promise<SweepOutcome> {
    // The listing comes before the rows: an object written after it is not looked at, and a row
    // written after it (an upload finishing) is seen by the query below.
    const objects = await this.store.list();
    const referenced = new Set((await this.em.fork().find(Media, {}, { fields: ['sha256'] })).map((m) => m.sha256));
    let deleted = 0;
    for (const object of objects) {
      const hash = hashOfKey(object.key);
      if (hash && referenced.has(hash)) continue;
      if (now - object.updated.getTime() < graceMs) continue;
      if (Date.now() >= deadline) return { deleted, cutShort: true };
      await this.store.delete(object.key);
      this.cache.delete(object.key);
      deleted++;
    }
    return { deleted, cutShort: false };
  }

  /**
   * Sweeps orphans if this instance has not in the last SWEEP_EVERY_MS, within SWEEP_BUDGET_MS of
   * deleting. Called from the author's requests (an upload, a delete, the dashboard and the library):
   * Cloud Run gives the CPU only while a request is served, so neither a timer nor the boot (whose
   * first reader would wait) can do it, and no reader's request ever pays for it. Never throws.
   * Resolves to what the sweep did, or null when none was due (or allowed).
   */
  sweepIfDue(): Promise<SweepOutcome | null> {
    const now = this.clock.now().getTime();
    if (this.sweeping || now - this.lastSweep < SWEEP_EVERY_MS) return this.sweeping ?? Promise.resolve(null);
    this.lastSweep = now;
    this.sweeping = this.sweepWithinBudget(now).finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepWithinBudget(now: number): Promise<SweepOutcome | null> {
    try {
      // Deleting is a write: an instance that lost the writer lease may hold an older database that
      // does not name the new writer's images.
      if (this.gate && !(await this.gate.mayWrite())) return null;
      const outcome = await this.sweepOrphans(now, ORPHAN_GRACE_MS, Date.now() + SWEEP_BUDGET_MS);
      // Cut short: the next trigger carries on instead of waiting out the interval.
      if (outcome.cutShort) this.lastSweep = 0;
      if (outcome.deleted > 0) this.logger.log(`Swept ${outcome.deleted} media object(s) no image names any more`);
      return outcome;
    } catch (err) {
      this.logger.warn(`The media sweep stopped: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /**
   * Moves the bytes of images uploaded before the media store out of the database, one image at
   * a time: the object is written (and has returned) before the row's copy is emptied, so an
   * interruption anywhere loses nothing and the next run carries on. Stops at `deadline` (epoch
   * ms; the image under way is finished). Resolves to how many moved and whether any are left.
   */
  async moveLegacyBlobs(onMoved?: (done: number) => void, deadline = Infinity): Promise<{ moved: number; left: boolean }> {
    let moved = 0;
    for (;;) {
      const em = this.em.fork();
      const next = await em.findOne(Media, { data: { $ne: null } }, { fields: ['id'], orderBy: { id: 'asc' } });
      this.legacyLeft = next !== null;
      if (!next || Date.now() >= deadline) return { moved, left: this.legacyLeft };
      const media = await em.findOneOrFail(Media, next.id, { populate: ['data'] });
      const bytes = Buffer.from(media.data!);
      await this.store.put(originalKey(media.sha256, extensionOf(media.contentType)), bytes, media.contentType);
      // Only the bytes this run wrote are dropped (a concurrent change would be kept for the next run).
      await em.nativeUpdate(Media, { id: media.id, size: bytes.length }, { data: null, size: bytes.length });
      onMoved?.(++moved);
    }
  }

  /**
   * Gives images uploaded before renditions existed (moved from BLOBs, or written by an older
   * version) what an upload gets today, one image at a time until `deadline` (epoch ms): the
   * pipeline's clean original (orientation applied, location and other metadata dropped),
   * renditions, true dimensions, and the posts and pages that show it rendered again so they emit
   * its srcset. Each image's objects are written (and have returned) before its row names them, so
   * an interruption anywhere loses nothing and the next run carries on. An image the pipeline
   * refuses (damaged, over the pixel limit) stays as it is, served as before, and records why
   * (`refused`), so that no later start loads sharp and reads it again.
   */
  async makeMissingRenditions(deadline: number): Promise<RenditionsProgress> {
    const progress: RenditionsProgress = { done: 0, refused: [], left: 0 };
    const connection = this.em.getConnection();
    let after = 0;
    for (;;) {
      const [next] = await connection.execute<{ id: number }[]>(
        `select id from media where ${WITHOUT_RENDITIONS} and id > ? order by id limit 1`,
        [after],
      );
      if (!next) break;
      if (Date.now() >= deadline) {
        const [{ n }] = await connection.execute<{ n: number }[]>(
          `select count(*) as n from media where ${WITHOUT_RENDITIONS} and id >= ?`,
          [next.id],
        );
        progress.left = n;
        break;
      }
      after = next.id;
      const refused = await this.completeImage(next.id);
      if (refused) progress.refused.push(refused);
      else progress.done++;
    }
    if (progress.done > 0) {
      this.events.changed('media');
      this.events.changed('post');
      this.events.changed('page');
    }
    return progress;
  }

  /**
   * makeMissingRenditions on an author's request, within `budgetMs`. Why on requests too: the boot
   * gives them 10 s a start (LegacyImageUpgrade), so a library of 300 photos from before took ~100
   * cold starts; Cloud Run gives the CPU while a request is served, and an author's request may
   * wait for it (a reader's never does). One at a time per instance: a request that finds one
   * under way goes on without it (a 2 s dashboard visit must not wait out another tab's 20 s press).
   * Only on the instance holding the writer lease (it writes objects and rows); one query when
   * every image has them. Never throws; null when nothing was tried.
   */
  catchUpRenditions(budgetMs: number): Promise<RenditionsProgress | null> {
    if (this.catchingUp) return Promise.resolve(null);
    this.catchingUp = this.catchUpWithin(budgetMs).finally(() => (this.catchingUp = null));
    return this.catchingUp;
  }

  private async catchUpWithin(budgetMs: number): Promise<RenditionsProgress | null> {
    try {
      // One query when none is left: the lease (a read of the bucket) is asked only when there is work.
      if ((await this.countMissingRenditions()) === 0) return { done: 0, refused: [], left: 0 };
      if (this.gate && !(await this.gate.mayWrite())) return null;
      const progress = await this.makeMissingRenditions(Date.now() + budgetMs);
      for (const r of progress.refused)
        this.logger.warn(`Image ${r.id} (${r.filename}) keeps no renditions: ${r.reason} It is served as it is.`);
      if (progress.done > 0)
        this.logger.log(`Made renditions for ${progress.done} image(s) from before them; ${progress.left} left`);
      return progress;
    } catch (err) {
      this.logger.warn(
        `Making renditions stopped (the next visit carries on): ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    }
  }

  /** How many images still lack renditions (moved out of the database, not refused, not animated). */
  async countMissingRenditions(): Promise<number> {
    const [{ n }] = await this.em
      .getConnection()
      .execute<{ n: number }[]>(`select count(*) as n from media where ${WITHOUT_RENDITIONS}`);
    return n;
  }

  /** One image through the upload's pipeline; the reason if the pipeline refuses it. */
  private async completeImage(id: number): Promise<RenditionsProgress['refused'][number] | null> {
    const em = this.em.fork();
    const media = await em.findOneOrFail(Media, id, { exclude: ['data'] });
    let prepared: PreparedImage;
    try {
      prepared = await this.prepare(await this.originalBytes(media), media.contentType);
    } catch (err) {
      if (!(err instanceof UnsupportedMediaError)) throw err;
      media.refused = err.message;
      await em.flush();
      return { id, filename: media.filename, reason: err.message };
    }
    const cleanSha = sha256Of(prepared.original);
    // Why a new name when the clean original differs: names are content hashes. The old object is
    // not deleted here: until this row change is replicated, a restore could still name it; the
    // orphan sweep removes it later. The same clean bytes under another row: keep this one's
    // original as it was (two rows cannot share a hash), its renditions are made all the same.
    const renamed = cleanSha !== media.sha256 && !(await em.findOne(Media, { sha256: cleanSha }, { fields: ['id'] }));
    const target = this.describe(new Media(media.filename, media.contentType, 0, renamed ? cleanSha : media.sha256), prepared);
    if (renamed) await this.writeObjects(target, prepared);
    else await this.writeRenditions(target.sha256, prepared);
    media.sha256 = target.sha256;
    if (renamed) media.size = target.size;
    media.width = target.width;
    media.height = target.height;
    media.animated = target.animated;
    media.renditions = target.renditions;
    await em.flush();
    await this.renderUsersAgain(em, id);
    return null;
  }

  private async writeRenditions(sha256: string, prepared: PreparedImage): Promise<void> {
    await Promise.all(
      prepared.renditions.map((r) => this.store.put(renditionKey(sha256, r.width, r.format), r.data, `image/${r.format}`)),
    );
  }

  /**
   * The HTML of the posts and pages that show image `id`, rendered again from their unchanged
   * Markdown now that its facts changed (their text, dates and revisions stay as they are).
   */
  private async renderUsersAgain(em: EntityManager, id: number): Promise<void> {
    const needle = { $like: `%${mediaUrlPrefix(id)}%` };
    for (const kind of [Post, Page] as const) {
      const rows: { id: number; markdown: string; html: string }[] = await em.find(
        kind as typeof Post,
        { markdown: needle },
        { fields: ['id', 'markdown', 'html'] },
      );
      for (const row of rows) {
        const { html } = await renderMarkdown(row.markdown, await this.imagesIn(row.markdown, em));
        if (html !== row.html) await em.nativeUpdate(kind as typeof Post, { id: row.id, markdown: row.markdown }, { html });
      }
    }
  }

  private async uses(id: number): Promise<MediaUse[]> {
    const needle = { $like: `%${mediaUrlPrefix(id)}%` };
    const [posts, pages] = await Promise.all([
      // A post whose social card is this image uses it too.
      this.em.find(
        Post,
        { $or: [{ markdown: needle }, { cardImageId: id }] },
        { fields: ['id', 'title'], orderBy: { id: 'asc' } },
      ),
      this.em.find(Page, { markdown: needle }, { fields: ['id', 'title'], orderBy: { id: 'asc' } }),
    ]);
    // Revisions (posts only have them) of posts whose text no longer shows it: newest first, one per post.
    const current = new Set(posts.map((p) => p.id));
    const revisions = await this.em.find(
      Revision,
      { markdown: needle, post: { $nin: [...current] } },
      { fields: ['id', 'createdAt', 'post.id', 'post.title'], orderBy: { createdAt: 'desc', id: 'desc' } },
    );
    const earlier = new Map<number, MediaUse>();
    for (const r of revisions) {
      if (!earlier.has(r.post.id)) {
        earlier.set(r.post.id, {
          kind: 'post',
          id: r.post.id,
          title: r.post.title,
          revision: { id: r.id, savedAt: r.createdAt },
        });
      }
    }
    return [
      ...posts.map((p): MediaUse => ({ kind: 'post', id: p.id, title: p.title })),
      ...pages.map((p): MediaUse => ({ kind: 'page', id: p.id, title: p.title })),
      ...earlier.values(),
    ];
  }
}
