import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { Media, Page, PathRedirect, Post, Revision, SlugRedirect, Tag } from '../entities/index.js';
import { MediaBytesMissingError, MediaService } from '../media.service.js';
import { SettingsService } from '../settings.service.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportedMedia,
  type ExportedPage,
  type ExportedPost,
  type ExportedRedirect,
  type ExportedTag,
} from './format.js';

/** Records read per query: small enough that a large blog never sits in memory at once. */
const BATCH = 50;

const iso = (d: Date) => d.toISOString();

/**
 * Writes the whole blog as one JSON document (format.ts), record by record: a caller pipes the
 * chunks to a file or a response. Each batch is read in a fresh identity map, and images'
 * bytes one image at a time, so memory stays at one batch plus one image.
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly em: EntityManager,
    private readonly settings: SettingsService,
    private readonly mediaService: MediaService,
  ) {}

  /**
   * Checks that every image's bytes can be read, then returns the export's chunks. Why first: the
   * export streams, so a failure after its first byte can only cut the download short; a missing
   * image is told to the author before anything is sent, naming each one.
   */
  async open(now = new Date()): Promise<AsyncGenerator<string>> {
    const missing = await this.mediaService.missingOriginals();
    if (missing.length > 0) {
      const named = missing.map((m) => `${m.id} (${m.filename})`).join(', ');
      throw new MediaBytesMissingError(
        `The export was not started: the bytes of ${missing.length} image(s) are missing from ${this.mediaService.storeLocation}: ${named}. ` +
          'Upload them again and replace them in the posts that show them, or delete them in the media library.',
      );
    }
    return this.chunks(now);
  }

  private async *chunks(now: Date): AsyncGenerator<string> {
    const em = this.em.fork();
    const head = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: iso(now), settings: await this.settings.get() };
    yield JSON.stringify(head, null, 2).replace(/\n}$/, ',\n');
    yield* this.list('tags', this.tags(em));
    yield ',\n';
    yield* this.list('media', this.media(em));
    yield ',\n';
    yield* this.list('pages', this.pages(em));
    yield ',\n';
    yield* this.list('posts', this.posts(em));
    yield ',\n';
    yield* this.list('redirects', this.redirects(em));
    yield '\n}\n';
  }

  private async *list(name: string, records: AsyncGenerator<unknown>): AsyncGenerator<string> {
    yield `  "${name}": [`;
    let first = true;
    for await (const record of records) {
      yield `${first ? '' : ','}\n    ${JSON.stringify(record)}`;
      first = false;
    }
    yield first ? ']' : '\n  ]';
  }

  /** Rows by ascending id, a batch at a time, each batch in a clean identity map. */
  private async *batches<T extends { id: number }>(em: EntityManager, load: (afterId: number) => Promise<T[]>) {
    let afterId = 0;
    for (;;) {
      em.clear();
      const rows = await load(afterId);
      if (rows.length === 0) return;
      yield rows;
      afterId = rows[rows.length - 1].id;
    }
  }

  /** The redirect table: an old blog's addresses keep arriving after a move. */
  private async *redirects(em: EntityManager): AsyncGenerator<ExportedRedirect> {
    for (const r of await em.find(PathRedirect, {}, { orderBy: { fromPath: 'asc' } })) yield { from: r.fromPath, to: r.toPath };
  }

  private async *tags(em: EntityManager): AsyncGenerator<ExportedTag> {
    const tags = await em.find(Tag, {}, { orderBy: { slug: 'asc' } });
    for (const t of tags) yield { slug: t.slug, name: t.name };
  }

  private async *media(em: EntityManager): AsyncGenerator<ExportedMedia> {
    // Social cards the blog made are left out: the importing blog makes its own.
    const ids = (await em.find(Media, { purpose: null }, { fields: ['id'], orderBy: { id: 'asc' } })).map((m) => m.id);
    for (const id of ids) {
      em.clear();
      const m = await em.findOne(Media, id, { exclude: ['data'] });
      if (!m) continue; // deleted while the export ran
      // The original as readers get it, from the media store (renditions are made again on import).
      const data = await this.mediaService.originalBytes(m);
      yield {
        id: m.id,
        filename: m.filename,
        contentType: m.contentType,
        size: m.size,
        sha256: m.sha256,
        width: m.width,
        height: m.height,
        createdAt: iso(m.createdAt),
        data: data.toString('base64'),
      };
    }
  }

  private async *pages(em: EntityManager): AsyncGenerator<ExportedPage> {
    for await (const batch of this.batches(em, (after) =>
      em.find(Page, { id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: BATCH }),
    )) {
      for (const p of batch) {
        yield {
          slug: p.slug,
          title: p.title,
          status: p.status,
          navOrder: p.navOrder,
          createdAt: iso(p.createdAt),
          updatedAt: iso(p.updatedAt),
          summary: p.summary,
          markdown: p.markdown,
        };
      }
    }
  }

  private async *posts(em: EntityManager): AsyncGenerator<ExportedPost> {
    for await (const batch of this.batches(em, (after) =>
      em.find(Post, { id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: BATCH, populate: ['tags'], exclude: ['html'] }),
    )) {
      const ids = batch.map((p) => p.id);
      const [revisions, redirects] = await Promise.all([
        em.find(Revision, { post: { $in: ids } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
        em.find(SlugRedirect, { post: { $in: ids } }, { orderBy: { fromSlug: 'asc' } }),
      ]);
      for (const p of batch) {
        yield {
          slug: p.slug,
          title: p.title,
          status: p.status,
          publishedAt: p.publishedAt ? iso(p.publishedAt) : null,
          createdAt: iso(p.createdAt),
          updatedAt: iso(p.updatedAt),
          tags: p.tags
            .getItems()
            .sort((a, b) => a.slug.localeCompare(b.slug))
            .map((t) => t.name),
          redirects: redirects.filter((r) => r.post.id === p.id).map((r) => r.fromSlug),
          summary: p.summary,
          markdown: p.markdown,
          revisions: revisions
            .filter((r) => r.post.id === p.id)
            .map((r) => ({ title: r.title, createdAt: iso(r.createdAt), markdown: r.markdown })),
        };
      }
    }
  }
}
