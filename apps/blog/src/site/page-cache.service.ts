import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';

import { Clock, ContentEvents, PostsService } from '@app/content';

export type Encoding = 'br' | 'gzip' | 'identity';

/** One rendered response, kept with its compressed forms (made once, on first demand). */
export class CachedPage {
  readonly hash: string;
  private readonly encoded = new Map<Encoding, Buffer>();

  constructor(
    readonly contentType: string,
    readonly body: Buffer,
    /** The post whose view a hit still counts (the controller is not called on a hit). */
    readonly viewOf: number | undefined,
    /** The view counts' epoch the page shows; undefined when it shows none. */
    readonly countsEpoch?: number,
    /** The page's `Link` header (a post advertises its Webmention endpoint): sent on every hit too. */
    readonly link?: string,
  ) {
    this.hash = createHash('sha1').update(body).digest('base64url');
    this.encoded.set('identity', body);
  }

  /** Strong ETag per representation: the bytes differ between encodings. */
  etag(encoding: Encoding): string {
    return encoding === 'identity' ? `"${this.hash}"` : `"${this.hash}-${encoding}"`;
  }

  bodyFor(encoding: Encoding): Buffer {
    let bytes = this.encoded.get(encoding);
    if (!bytes) {
      // Quality 5 / level 6: ~1 ms for a long post, most of the gain of the slow settings.
      bytes =
        encoding === 'br'
          ? brotliCompressSync(this.body, {
              params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: this.body.length },
            })
          : gzipSync(this.body, { level: 6 });
      this.encoded.set(encoding, bytes);
    }
    return bytes;
  }

  get size(): number {
    let n = 0;
    for (const bytes of this.encoded.values()) n += bytes.length;
    return n;
  }
}

/** Bound on the cache's memory: every post of a big blog fits, a flood of ?junk URLs cannot grow it. */
export const PAGE_CACHE_MAX_BYTES = 24 * 1024 * 1024;

/**
 * Full-page HTML (and feeds, sitemap) by URL, in memory. There is one instance, so dropping
 * everything on each content write keeps it coherent; scheduled posts expire it when they come
 * due, checked on each lookup because no timer runs while Cloud Run throttles the CPU.
 */
@Injectable()
export class PageCache {
  /** Map order is recency order: a hit moves the entry to the end, eviction takes the front. */
  private readonly pages = new Map<string, CachedPage>();
  private bytes = 0;
  /** The memory bound; a test may lower it to see eviction without filling 24 MB. */
  maxBytes = PAGE_CACHE_MAX_BYTES;
  /** When the next scheduled post goes live; undefined = not looked up since the last clear. */
  private nextDue: number | null | undefined;
  private generation = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    events: ContentEvents,
    private readonly posts: PostsService,
    private readonly clock: Clock,
    private readonly em: EntityManager,
  ) {
    events.onChange(() => this.clear());
  }

  async get(key: string): Promise<CachedPage | undefined> {
    await this.expireScheduled();
    const page = this.pages.get(key);
    if (page) {
      this.pages.delete(key);
      this.pages.set(key, page);
      this.hits++;
    } else {
      this.misses++;
    }
    return page;
  }

  /**
   * get() without a wait, for the fast path (page-cache.fast-path.ts): the page, or undefined
   * when it is not cached or when whether a scheduled post has come due is not known without a
   * query (then the app's get() asks). Counts hits only: a miss goes on to get(), which counts it.
   */
  peek(key: string): CachedPage | undefined {
    if (this.nextDue === undefined) return undefined;
    if (this.nextDue !== null && this.clock.now().getTime() >= this.nextDue) {
      this.clear();
      return undefined;
    }
    const page = this.pages.get(key);
    if (page) {
      this.pages.delete(key);
      this.pages.set(key, page);
      this.hits++;
    }
    return page;
  }

  /** A render started before a content write must not be stored after it: pass `generation` from before. */
  store(key: string, page: CachedPage, generation: number): void {
    if (generation !== this.generation) return;
    this.remove(key);
    this.pages.set(key, page);
    this.bytes += page.size;
    this.evict();
  }

  /** Compression grows an entry after it was stored. */
  grew(key: string, before: number): void {
    const page = this.pages.get(key);
    if (!page) return;
    this.bytes += page.size - before;
    this.evict();
  }

  get currentGeneration(): number {
    return this.generation;
  }

  clear(): void {
    this.pages.clear();
    this.bytes = 0;
    this.nextDue = undefined;
    this.generation++;
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.pages.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }

  private remove(key: string): void {
    const old = this.pages.get(key);
    if (!old) return;
    this.bytes -= old.size;
    this.pages.delete(key);
  }

  private evict(): void {
    for (const key of this.pages.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(key);
    }
  }

  private async expireScheduled(): Promise<void> {
    if (this.nextDue === undefined) {
      const generation = this.generation;
      // Looked up before Nest's per-request ORM context exists: give the query its own.
      const due = (await RequestContext.create(this.em, () => this.posts.nextScheduledAt()))?.getTime() ?? null;
      if (generation === this.generation) this.nextDue = due;
      return;
    }
    if (this.nextDue !== null && this.clock.now().getTime() >= this.nextDue) this.clear();
  }
}
