import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { Clock } from './clock.js';
import type { Post } from './entities/index.js';
import { toPlainText } from './markdown/plain-text.js';
import { visiblePostsSql } from './visibility.js';

/** Shown around matches; control characters cannot occur in escaped HTML, so they mark safely. */
const OPEN = '\u0002';
const CLOSE = '\u0003';
export const MAX_QUERY_LENGTH = 200;
const MAX_TERMS = 12;

export interface SearchHit {
  slug: string;
  title: string;
  publishedAt: Date;
  /** HTML: the text is escaped, only <mark> is added. */
  titleHtml: string;
  snippetHtml: string;
}

/** A hit's row with FTS5's marked title and snippet (undefined: the text did not match again). */
interface Highlighted {
  id: number;
  slug: string;
  title: string;
  published_at: number | string;
  excerpt: string;
  t?: string;
  s?: string;
}

/** The tokenizer of `post_search` (its migrations): the snippets' table must split words alike. */
const TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'";
/**
 * A post's tag names as the index holds them, in one order whoever asks (the save, or a results
 * page making its snippets): a phrase across two names matches in that order only.
 */
function tagText(names: string[]): string {
  return [...names].sort().join(' ');
}

/** A results page's most hits: also each query's span of rowids in the snippets' table. */
const MAX_HITS_PER_PAGE = 1024;

export interface SearchResult {
  query: string;
  hits: SearchHit[];
  total: number;
}

/**
 * Turns whatever a reader typed into an FTS5 query that cannot be a syntax error:
 * every word becomes a quoted string, "quoted phrases" stay phrases, the last word matches
 * as a prefix. FTS5 operators typed by the reader are searched as words.
 */
export function toFtsQuery(input: string): string | null {
  const terms: string[] = [];
  let lastIsWord = false;
  for (const match of input.slice(0, MAX_QUERY_LENGTH).matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const isPhrase = match[1] !== undefined;
    const words = (match[1] ?? match[2] ?? '').match(/[\p{L}\p{N}]+/gu);
    if (!words) continue;
    if (isPhrase) terms.push(`"${words.join(' ')}"`);
    else terms.push(...words.map((w) => `"${w}"`));
    lastIsWord = !isPhrase;
  }
  if (terms.length === 0) return null;
  const kept = terms.slice(0, MAX_TERMS);
  if (lastIsWord && kept.length === terms.length) kept[kept.length - 1] += '*';
  return kept.join(' ');
}

function markup(text: string): string {
  return escapeHtml(text).replaceAll(OPEN, '<mark>').replaceAll(CLOSE, '</mark>');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Full-text search over published posts with SQLite FTS5 (table created by a migration). */
@Injectable()
export class SearchService {
  /** Numbers each query's rows in the snippets' table. */
  private queries = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async search(input: string, limit = 20, offset = 0): Promise<SearchResult> {
    limit = Math.max(0, Math.min(limit, MAX_HITS_PER_PAGE)); // SQLite reads a negative LIMIT as none
    const query = input.trim().slice(0, MAX_QUERY_LENGTH);
    const fts = toFtsQuery(query);
    if (!fts) return { query, hits: [], total: 0 };
    const visible = visiblePostsSql('p', this.clock.now());
    const conn = this.em.getConnection();
    // CROSS JOIN keeps the full-text index as the outer loop. With a plain JOIN SQLite may walk
    // every post and run the MATCH once per post: 4 s instead of 0.1 s on 10,000 posts.
    const from = `post_search CROSS JOIN post p ON p.id = post_search.rowid`;
    const where = `post_search MATCH ? AND ${visible.sql}`;
    const ranked = await conn.execute<{ id: number }[]>(
      `SELECT p.id FROM ${from} WHERE ${where}
        ORDER BY bm25(post_search, 10.0, 1.0, 5.0), p.published_at DESC
        LIMIT ? OFFSET ?`,
      [fts, ...visible.params, limit, offset],
    );
    const ids = ranked.map((r) => r.id);
    const rows = ids.length ? await this.highlighted(ids, fts) : [];
    const [{ n }] = await conn.execute<{ n: number }[]>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`, [
      fts,
      ...visible.params,
    ]);
    return {
      query,
      total: n,
      hits: rows.map((r) => ({
        slug: r.slug,
        title: r.title,
        publishedAt: new Date(r.published_at),
        titleHtml: markup(r.t ?? r.title),
        snippetHtml: r.s === undefined ? escapeHtml(r.excerpt) : markup(r.s),
      })),
    };
  }

  /**
   * Highlights and snippets for the page's hits only, in rank order. The index keeps no text
   * (a contentless table), so FTS5's own highlight() and snippet() run on a temporary table that
   * holds just these posts' text, as indexed, for the moment of the query: in the connection's
   * temporary database, never in the blog's file (nor in what Litestream ships). Each query takes
   * its own rowids, so two searches that interleave between awaits never see each other's rows.
   */
  private async highlighted(ids: number[], fts: string): Promise<Highlighted[]> {
    const conn = this.em.getConnection();
    const list = ids.map(() => '?').join(', ');
    const posts = await conn.execute<(Highlighted & { html: string; tags: string | null })[]>(
      `SELECT p.id, p.slug, p.title, p.published_at, p.excerpt, p.html,
              (SELECT json_group_array(t.name) FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id) AS tags
         FROM post p WHERE p.id IN (${list})`,
      ids,
    );
    if (posts.length === 0) return []; // deleted since they were ranked
    await conn.execute(
      `CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_text USING fts5(title, body, tags, ${TOKENIZE})`,
      [],
      'run',
    );
    const base = (this.queries = (this.queries + 1) % 2 ** 40) * MAX_HITS_PER_PAGE;
    const texts = posts.map((p) => [p.title, toPlainText(p.html), tagText(JSON.parse(p.tags ?? '[]') as string[])] as const);
    try {
      await conn.execute(
        `INSERT INTO temp.search_text (rowid, title, body, tags) VALUES ${texts.map(() => '(?, ?, ?, ?)').join(', ')}`,
        texts.flatMap((text, i) => [base + i, ...text]),
        'run',
      );
      const marked = await conn.execute<{ rowid: number; t: string; s: string }[]>(
        `SELECT rowid, highlight(search_text, 0, ?, ?) AS t, snippet(search_text, 1, ?, ?, '…', 24) AS s
           FROM temp.search_text WHERE search_text MATCH ? AND rowid BETWEEN ? AND ?`,
        [OPEN, CLOSE, OPEN, CLOSE, fts, base, base + posts.length - 1],
      );
      const byIndex = new Map(marked.map((m) => [m.rowid - base, m]));
      const rows = posts.map((p, i) => ({ ...p, t: byIndex.get(i)?.t, s: byIndex.get(i)?.s }));
      return rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    } finally {
      await conn.execute('DELETE FROM temp.search_text WHERE rowid BETWEEN ? AND ?', [base, base + posts.length - 1], 'run');
    }
  }

  /** Called inside the save's transaction so the index never disagrees with the posts. */
  async index(em: EntityManager, post: Post): Promise<void> {
    const ctx = em.getTransactionContext();
    const conn = em.getConnection();
    const tags = post.tags.isInitialized() ? tagText(post.tags.getItems().map((t) => t.name)) : '';
    await conn.execute('DELETE FROM post_search WHERE rowid = ?', [post.id], 'run', ctx);
    await conn.execute(
      'INSERT INTO post_search (rowid, title, body, tags) VALUES (?, ?, ?, ?)',
      [post.id, post.title, toPlainText(post.html), tags],
      'run',
      ctx,
    );
  }

  async unindex(em: EntityManager, postId: number): Promise<void> {
    await em.getConnection().execute('DELETE FROM post_search WHERE rowid = ?', [postId], 'run', em.getTransactionContext());
  }
}
