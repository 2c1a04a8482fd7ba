import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import Database from 'better-sqlite3';

import { DIST_ROOT, runToHealthy } from './processes.js';

/** A valid 1×1 PNG followed by filler, ~40 KB: the weight of a typical blog screenshot. */
function png(seed: number): Buffer {
  const base = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c6360f8cfc0f01f0005000200' +
      'a5f5f2a30000000049454e44ae426082',
    'hex',
  );
  return Buffer.concat([base, Buffer.alloc(40_000, seed % 251)]);
}

const WORDS = (
  'the quick brown fox jumps over a lazy dog while sqlite keeps every page in one file and ' +
  'litestream ships each frame of the write ahead log to a bucket so that nothing written is lost ' +
  'readers want pages fast authors want a calm editor and the bill should stay below a coffee'
).split(' ');

const CODE = [
  '```ts\nexport async function handler(req: Request): Promise<Response> {\n  const url = new URL(req.url);\n  const cached = cache.get(url.pathname);\n  if (cached) return new Response(cached.body, { headers: cached.headers });\n  return render(url);\n}\n```',
  "```sql\nSELECT p.slug, p.title FROM post p\n JOIN post_tags pt ON pt.post_id = p.id\n WHERE pt.tag_id = ? AND p.status = 'published'\n ORDER BY p.published_at DESC LIMIT 10;\n```",
  '```sh\nlitestream restore -if-replica-exists -o /data/blog.db gcs://bucket/blog.db\nexec litestream replicate -exec "node dist/main.js"\n```',
];

function paragraph(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)]);
  out[0] = out[0][0].toUpperCase() + out[0].slice(1);
  return out.join(' ') + '.';
}

/** ~1,000 words: headings, paragraphs, a list, two code blocks, an image and a link. */
function postMarkdown(rand: () => number, variant: number, images: { id: number; filename: string }[]): string {
  const img = images[variant % images.length];
  const parts: string[] = [];
  for (let section = 1; section <= 4; section++) {
    parts.push(`## Section ${section} of variant ${variant}`);
    parts.push(paragraph(rand, 90), paragraph(rand, 80));
    if (section === 2) parts.push(`![A diagram for variant ${variant}](/media/${img.id}/${img.filename})`);
    if (section % 2 === 1) parts.push(CODE[(variant + section) % CODE.length]);
    parts.push(`- ${paragraph(rand, 8)}\n- ${paragraph(rand, 8)}\n- [a link](https://example.com/${variant})`);
    parts.push(paragraph(rand, 60));
  }
  return parts.join('\n\n');
}

/** Deterministic, so every run and every machine benchmarks the same database. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedResult {
  path: string;
  posts: number;
  bytes: number;
  /** A published post's slug, a tag's slug and a word that search finds, for the load runs. */
  postSlug: string;
  tagSlug: string;
  searchTerm: string;
}

const VARIANTS = 24;
const TAGS = 40;
const IMAGES = 8;

/**
 * A database as the app would have written it: the app's own migrations (by booting the
 * compiled app once on an empty file), then rows rendered by the app's own Markdown renderer
 * and indexed for search the way SearchService does. Bodies are rendered once per variant and
 * reused, so 10,000 posts take seconds rather than minutes.
 */
export async function seedDatabase(path: string, posts: number, padToBytes = 0): Promise<SeedResult> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  await runToHealthy(path);

  const rendererUrl = pathToFileURL(join(DIST_ROOT, 'libs/content/src/markdown/markdown.renderer.js')).href;
  const renderer = (await import(rendererUrl)) as {
    renderMarkdown(md: string): { html: string; excerpt: string; wordCount: number; readingMinutes: number };
    plainTextOf(html: string): string;
  };
  const rand = mulberry32(42);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const now = Date.now();

  const insertMedia = db.prepare(
    `INSERT INTO media (filename, content_type, size, sha256, width, height, data, created_at) VALUES (?, 'image/png', ?, ?, 1, 1, NULL, ?)`,
  );
  const images: { id: number; filename: string }[] = [];
  const insertTag = db.prepare('INSERT INTO tag (slug, name) VALUES (?, ?)');
  const insertPost = db.prepare(
    `INSERT INTO post (slug, title, markdown, html, excerpt, word_count, reading_minutes, status, published_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'published', ?, ?, ?)`,
  );
  const insertPostTag = db.prepare('INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)');
  const insertSearch = db.prepare('INSERT INTO post_search (rowid, title, body, tags) VALUES (?, ?, ?, ?)');
  // Restore benchmarks want a database of a given size: padding in a table the app never reads.
  db.exec('CREATE TABLE IF NOT EXISTS bench_padding (data BLOB NOT NULL)');
  const insertPadding = db.prepare('INSERT INTO bench_padding (data) VALUES (?)');

  db.transaction(() => {
    for (let i = 0; i < IMAGES; i++) {
      const bytes = png(i);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const filename = `diagram-${i + 1}.png`;
      // As the app stores them: an object beside the database, named by its hash; the row keeps metadata.
      mkdirSync(join(dirname(path), 'media'), { recursive: true });
      writeFileSync(join(dirname(path), 'media', `${sha}.png`), bytes);
      const { lastInsertRowid } = insertMedia.run(filename, bytes.length, sha, now);
      images.push({ id: Number(lastInsertRowid), filename });
    }
    const tagIds: number[] = [];
    for (let t = 0; t < TAGS; t++) tagIds.push(Number(insertTag.run(`topic-${t + 1}`, `Topic ${t + 1}`).lastInsertRowid));

    const bodies = Array.from({ length: VARIANTS }, (_, v) => {
      const markdown = postMarkdown(rand, v, images);
      const rendered = renderer.renderMarkdown(markdown);
      return { markdown, rendered, text: renderer.plainTextOf(rendered.html) };
    });
    for (let i = 0; i < posts; i++) {
      const body = bodies[i % VARIANTS];
      const title = `Post ${i + 1}: ${paragraph(rand, 5).slice(0, -1)}`;
      const publishedAt = now - (posts - i) * 3_600_000;
      const id = Number(
        insertPost.run(
          `post-${i + 1}`,
          title,
          body.markdown,
          body.rendered.html,
          body.rendered.excerpt,
          body.rendered.wordCount,
          body.rendered.readingMinutes,
          publishedAt,
          publishedAt,
          publishedAt,
        ).lastInsertRowid,
      );
      const tags = [tagIds[i % TAGS], tagIds[(i * 7 + 3) % TAGS]].filter((t, k, all) => all.indexOf(t) === k);
      for (const tag of tags) insertPostTag.run(id, tag);
      insertSearch.run(id, title, body.text, tags.map((t) => `Topic ${t}`).join(' '));
    }
    let padding = 0;
    const current = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    while (current + padding < padToBytes) {
      // Random bytes: Litestream compresses with LZ4, and zeros would make a 100 MB replica tiny.
      insertPadding.run(randomBytes(1_000_000));
      padding += 1_000_000;
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  db.close();
  // One start settles what a blog's first start after an upgrade does once: the images inserted
  // here have no renditions, so that start loads sharp and tries them (they are refused). Without
  // it, the first measured start of each seed paid for it (and kept libvips' ~7 MB in its RSS).
  await runToHealthy(path);
  return { path, posts, bytes, postSlug: `post-${Math.max(1, posts - 2)}`, tagSlug: 'topic-3', searchTerm: 'litestream' };
}
