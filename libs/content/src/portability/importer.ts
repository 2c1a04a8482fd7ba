import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { Clock } from '../clock.js';
import { type ContentChange, ContentEvents } from '../content-events.js';
import { LIMITS, normalizeSummary, validateInput, type ValidInput } from '../content-input.js';
import { ContentSaver, RESERVED_PAGE_SLUGS } from '../content-saver.js';
import { Media, Page, Post, Revision, Setting, SlugRedirect, Tag } from '../entities/index.js';
import { ContentValidationError } from '../errors.js';
import { MAX_UPLOAD_BYTES, MediaService, sha256Of, UnsupportedMediaError } from '../media.service.js';
import { relinkMedia } from '../urls.js';
import { DEFAULT_SETTINGS, SettingsService, type SiteSettings, validateSettings } from '../settings.service.js';
import { slugify } from '../slug.js';
import { isVisible, publicationDate } from '../visibility.js';
import { type ImportBundle, ImportError, type ImportedMedia, type ImportedPage, type ImportedPost } from './bundle.js';
import { importOldAddresses } from './path-redirects.js';

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  format: ImportBundle['format'];
  source: string;
  dryRun: boolean;
  posts: ImportCounts;
  pages: ImportCounts;
  tags: ImportCounts;
  media: ImportCounts;
  settings: 'updated' | 'unchanged' | 'not in the file';
  /** Old addresses written to the redirect table (path-redirects.ts). */
  redirects: ImportCounts;
  warnings: string[];
}

export interface ImportOptions {
  /** Runs the whole import, then rolls it back: the report says what a real run would do. */
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Raster types only, as for uploads: an SVG could carry script. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

/** Patterns the sanitizer removes; only used to tell the author that it will. */
const UNSAFE_HTML = /<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript:/i;

class DryRunRollback extends Error {}

const counts = (): ImportCounts => ({ created: 0, updated: 0, unchanged: 0 });
const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

interface Checked<T> {
  item: T;
  valid: ValidInput;
  slug: string;
}

/**
 * Writes an ImportBundle in one transaction: everything or nothing. A record whose slug exists is
 * updated in place (or left alone when nothing differs), so running the same import twice
 * changes nothing the second time. Text goes through the same renderer and sanitizer as the
 * editor's, and the search index is written in the same transaction.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly em: EntityManager,
    private readonly saver: ContentSaver,
    private readonly clock: Clock,
    private readonly settings: SettingsService,
    private readonly events: ContentEvents,
    private readonly mediaService: MediaService,
  ) {}

  async run(bundle: ImportBundle, options: ImportOptions = {}): Promise<ImportReport> {
    const report: ImportReport = {
      format: bundle.format,
      source: bundle.source,
      dryRun: options.dryRun ?? false,
      posts: counts(),
      pages: counts(),
      tags: counts(),
      media: counts(),
      settings: 'not in the file',
      redirects: counts(),
      warnings: [...bundle.warnings],
    };
    const pages = this.checkPages(bundle, report);
    const posts = this.checkPosts(bundle, report);
    bundle.media.forEach((m) => this.checkMedia(bundle.source, m));
    const settings = bundle.settings ? this.checkSettings(bundle, await this.settings.get()) : null;

    const total = bundle.media.length + pages.length + posts.length;
    let done = 0;
    // Why a turn of the event loop after each item: the SQLite work is synchronous, so without it a
    // large import holds every reader (and a backup download) until it ends — minutes on Cloud Run's CPU.
    const step = async () => {
      options.onProgress?.(++done, total);
      await nextTurn();
    };
    // Images' objects are written before the transaction commits; if it does not, they are removed.
    const written: string[] = [];
    try {
      await this.em.fork({ clear: true }).transactional(async (em) => {
        if (settings) report.settings = (await this.importSettings(em, settings)) ? 'updated' : 'unchanged';
        const tagsBefore = await em.count(Tag);
        await this.importTags(em, bundle, report.tags);
        const mediaIds = new Map<number, number>();
        for (const m of bundle.media) {
          await this.importMedia(em, bundle.source, m, mediaIds, report, written);
          await step();
        }
        const relink = (markdown: string) => relinkMedia(markdown, (id) => mediaIds.get(id));
        for (const page of pages) {
          await this.importPage(em, page, relink, report.pages);
          em.clear();
          await step();
        }
        const fileSlugs = new Set(posts.map((p) => p.slug));
        for (const post of posts) {
          await this.importPost(em, post, relink, fileSlugs, report);
          em.clear();
          await step();
        }
        await importOldAddresses(em, bundle.oldAddresses ?? [], report.redirects);
        report.tags.created += (await em.count(Tag)) - tagsBefore;
        if (report.dryRun) throw new DryRunRollback();
      });
    } catch (err) {
      for (const sha256 of written) await this.mediaService.discardUnreferenced(sha256).catch(() => undefined);
      if (!(err instanceof DryRunRollback)) throw err;
    }
    if (!report.dryRun) this.announce(report);
    return report;
  }

  private announce(report: ImportReport): void {
    const changed = (c: ImportCounts) => c.created + c.updated > 0;
    const kinds: [ContentChange, boolean][] = [
      ['setting', report.settings === 'updated'],
      ['tag', changed(report.tags)],
      ['media', changed(report.media)],
      ['page', changed(report.pages)],
      ['post', changed(report.posts)],
    ];
    for (const [kind, yes] of kinds) if (yes) this.events.changed(kind);
  }

  /** Everything that can be refused without the database, refused before the transaction starts. */
  private checkPosts(bundle: ImportBundle, report: ImportReport): Checked<ImportedPost>[] {
    const seen = new Map<string, string>();
    return bundle.posts.map((item) => {
      const valid = this.validate(bundle, item, report);
      const slug = valid.slug ?? slugify(valid.title);
      const twin = seen.get(slug);
      if (twin) throw new ImportError(bundle.source, item.ref, `the slug "${slug}" is also used by ${twin}.`);
      seen.set(slug, item.ref);
      this.warnIfUnsafe(bundle.source, item.ref, item.markdown, report);
      return { item, valid, slug };
    });
  }

  private checkPages(bundle: ImportBundle, report: ImportReport): Checked<ImportedPage>[] {
    const seen = new Map<string, string>();
    return bundle.pages.map((item) => {
      const valid = this.validate(bundle, item, report);
      const slug = valid.slug ?? slugify(valid.title);
      if (RESERVED_PAGE_SLUGS.has(slug))
        throw new ImportError(bundle.source, item.ref, `"${slug}" is a reserved address; choose another slug.`);
      const twin = seen.get(slug);
      if (twin) throw new ImportError(bundle.source, item.ref, `the slug "${slug}" is also used by ${twin}.`);
      seen.set(slug, item.ref);
      this.warnIfUnsafe(bundle.source, item.ref, item.markdown, report);
      return { item, valid, slug };
    });
  }

  private validate(bundle: ImportBundle, item: ImportedPost | ImportedPage, report: ImportReport): ValidInput {
    const { source } = bundle;
    const { ref } = item;
    try {
      return validateInput({
        title: item.title,
        markdown: item.markdown,
        slug: item.slug,
        status: item.status,
        publishedAt: 'publishedAt' in item ? item.publishedAt : null,
        tags: 'tags' in item ? item.tags : [],
        navOrder: 'navOrder' in item ? item.navOrder : null,
        summary: this.fitSummary(bundle, item, report),
      });
    } catch (err) {
      if (err instanceof ContentValidationError) throw new ImportError(source, ref, err.message);
      throw err;
    }
  }

  /**
   * Another blog's summary may be longer than this blog keeps (WordPress sets no bound): cut at a
   * word, and said. Our own export never holds one too long, so there it is refused as any bad field.
   */
  private fitSummary(bundle: ImportBundle, item: ImportedPost | ImportedPage, report: ImportReport): string | undefined {
    if (item.summary === undefined || bundle.format === 'inkstone') return item.summary;
    const summary = normalizeSummary(item.summary);
    if (summary.length <= LIMITS.summary) return summary;
    const cut = summary.slice(0, LIMITS.summary - 1);
    report.warnings.push(
      `${bundle.source}, ${item.ref}: its excerpt is longer than ${LIMITS.summary} characters; the summary keeps its start.`,
    );
    return `${cut.slice(0, cut.lastIndexOf(' ') > 0 ? cut.lastIndexOf(' ') : cut.length)}…`;
  }

  private warnIfUnsafe(source: string, ref: string, markdown: string, report: ImportReport): void {
    if (UNSAFE_HTML.test(markdown)) {
      report.warnings.push(
        `${source}, ${ref}: contains HTML that is not allowed (scripts, frames, event handlers or javascript: links); it is removed, as in the editor.`,
      );
    }
  }

  private checkMedia(source: string, m: ImportedMedia): void {
    if (m.data.length === 0 || m.data.length > MAX_UPLOAD_BYTES) {
      throw new ImportError(source, m.ref, `an image must hold 1 byte to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);
    }
    if (!IMAGE_TYPES.has(m.contentType))
      throw new ImportError(source, m.ref, `${m.contentType || 'no type'} is not an image type this blog stores.`);
    const sha256 = createHash('sha256').update(m.data).digest('hex');
    if (sha256 !== m.sha256) throw new ImportError(source, m.ref, 'the bytes do not match their sha256: the file is damaged.');
    if (!/^[\w.-]{1,200}$/.test(m.filename)) throw new ImportError(source, m.ref, `"${m.filename}" is not a usable file name.`);
  }

  private checkSettings(bundle: ImportBundle, current: SiteSettings): SiteSettings {
    const known = Object.fromEntries(Object.entries(bundle.settings ?? {}).filter(([k]) => k in DEFAULT_SETTINGS));
    try {
      return validateSettings({ ...current, ...known });
    } catch (err) {
      if (err instanceof ContentValidationError) throw new ImportError(bundle.source, 'settings', err.message);
      throw err;
    }
  }

  private async importSettings(em: EntityManager, next: SiteSettings): Promise<boolean> {
    const current = await this.settings.get();
    if (JSON.stringify(current) === JSON.stringify(next)) return false;
    for (const [key, value] of Object.entries(next)) await em.upsert(Setting, new Setting(key, value));
    return true;
  }

  private async importTags(em: EntityManager, bundle: ImportBundle, c: ImportCounts): Promise<void> {
    for (const { name, slug } of bundle.tags) {
      const clean = name.trim().replace(/\s+/g, ' ');
      const wanted = slugify(clean);
      if (!wanted || (slug && slug !== wanted))
        throw new ImportError(bundle.source, `tag "${name}"`, 'its name and slug do not match.');
      const tag = await em.findOne(Tag, { slug: wanted });
      if (!tag) {
        em.persist(new Tag(clean, wanted)); // counted with the tags that posts create
      } else if (tag.name !== clean) {
        tag.name = clean;
        c.updated++;
      } else {
        c.unchanged++;
      }
    }
    await em.flush();
  }

  private async importMedia(
    em: EntityManager,
    source: string,
    m: ImportedMedia,
    ids: Map<number, number>,
    report: ImportReport,
    written: string[],
  ): Promise<void> {
    const c = report.media;
    const existing = await em.findOne(Media, { sha256: m.sha256 }, { fields: ['id'] });
    if (existing) {
      ids.set(m.id, existing.id);
      c.unchanged++;
      return;
    }
    // Through the upload's own checks and pipeline: renditions made, metadata dropped, bombs refused.
    let prepared;
    try {
      prepared = await this.mediaService.prepare(m.data, m.contentType);
    } catch (err) {
      if (err instanceof UnsupportedMediaError) throw new ImportError(source, m.ref, err.message);
      throw err;
    }
    const media = this.mediaService.describe(new Media(m.filename, m.contentType, 0, sha256Of(prepared.original)), prepared);
    // A file that was not clean (metadata, rotation) is stored cleaned, under the clean bytes' hash.
    const same = media.sha256 !== m.sha256 && (await em.findOne(Media, { sha256: media.sha256 }, { fields: ['id'] }));
    if (same) {
      ids.set(m.id, same.id);
      c.unchanged++;
      return;
    }
    media.createdAt = m.createdAt;
    // Why keep the id when it is free: posts link to /media/:id/…, so an import into an empty
    // blog keeps every link as it was; otherwise the links are rewritten to the new id.
    if (!(await em.findOne(Media, m.id, { fields: ['id'] }))) media.id = m.id;
    if (!report.dryRun) {
      written.push(media.sha256);
      await this.mediaService.writeObjects(media, prepared);
    }
    em.persist(media);
    await em.flush();
    ids.set(m.id, media.id);
    c.created++;
  }

  private async importPage(
    em: EntityManager,
    { item, valid, slug }: Checked<ImportedPage>,
    relink: (s: string) => string,
    c: ImportCounts,
  ) {
    const markdown = relink(valid.markdown);
    const page = await em.findOne(Page, { slug });
    if (
      page &&
      page.title === valid.title &&
      page.markdown === markdown &&
      page.status === valid.status &&
      page.navOrder === valid.navOrder &&
      (valid.summary === undefined || page.summary === valid.summary) &&
      (!item.createdAt || sameTime(page.createdAt, item.createdAt)) &&
      (!item.updatedAt || sameTime(page.updatedAt, item.updatedAt))
    ) {
      c.unchanged++;
      return;
    }
    c[page ? 'updated' : 'created']++;
    // The editor's save, inside this import's transaction (which is why `em` renders: images it just wrote).
    const body = await this.saver.render(markdown, em);
    await this.saver.writePage(em, page, {
      ...valid,
      slug,
      markdown,
      body,
      createdAt: item.createdAt,
      updatedAt: item.updatedAt,
    });
  }

  private async importPost(
    em: EntityManager,
    { item, valid, slug }: Checked<ImportedPost>,
    relink: (s: string) => string,
    fileSlugs: Set<string>,
    report: ImportReport,
  ): Promise<void> {
    const markdown = relink(valid.markdown);
    const revisions = item.revisions?.map((r) => ({ ...r, markdown: relink(r.markdown) }));
    const post: Post | null = await em.findOne(Post, { slug }, { populate: ['tags'] });
    const publishedAt = publicationDate(valid.status, valid.publishedAt, post?.publishedAt ?? null, this.clock.now());
    const tagSlugs = [...new Set(valid.tags.map(slugify))].sort();
    const redirects = [...new Set(item.redirects.map((r) => slugify(r)).filter((r) => r && r !== slug))];
    const existingRedirects = post ? (await em.find(SlugRedirect, { post })).map((r) => r.fromSlug) : [];
    const existingRevisions = post && revisions ? await em.find(Revision, { post }) : [];
    const revisionKey = (r: { title: string; markdown: string; createdAt: Date }) =>
      `${r.createdAt.getTime()}\n${r.title}\n${r.markdown}`;
    const haveRevisions = new Set(existingRevisions.map(revisionKey));
    const missingRevisions = revisions?.filter((r) => !haveRevisions.has(revisionKey(r)));

    if (
      post &&
      post.title === valid.title &&
      post.markdown === markdown &&
      post.status === valid.status &&
      (valid.summary === undefined || post.summary === valid.summary) &&
      sameTime(post.publishedAt, publishedAt) &&
      JSON.stringify(
        post.tags
          .getItems()
          .map((t) => t.slug)
          .sort(),
      ) === JSON.stringify(tagSlugs) &&
      redirects.every((r) => existingRedirects.includes(r)) &&
      !missingRevisions?.length &&
      (!item.createdAt || sameTime(post.createdAt, item.createdAt)) &&
      (!item.updatedAt || sameTime(post.updatedAt, item.updatedAt))
    ) {
      report.posts.unchanged++;
      return;
    }
    report.posts[post ? 'updated' : 'created']++;
    const body = await this.saver.render(markdown, em);
    const { post: written, refusedRedirects } = await this.saver.writePost(
      em,
      post,
      {
        ...valid,
        slug,
        markdown,
        body,
        createdAt: item.createdAt,
        updatedAt: item.updatedAt,
        formerSlugs: redirects,
        // A file with a history brings its revisions (those not here yet); without one, the import is a revision.
        revisions: missingRevisions,
      },
      fileSlugs,
    );
    // A post that arrives already live is no news: the old blog sent its Webmentions (a save here
    // sends them again if they are due). One still scheduled sends when it goes live.
    if (written.mentionsSentAt === null && isVisible(written, this.clock.now())) {
      written.mentionsSentAt = this.clock.now();
      await em.nativeUpdate(Post, { id: written.id }, { mentionsSentAt: written.mentionsSentAt });
    }
    for (const from of refusedRedirects) {
      report.warnings.push(`${report.source}, ${item.ref}: the old address "${from}" is another post's slug; no redirect made.`);
    }
  }
}
