import {
  isPublishedAnyDate,
  postsPublishedAnyDate,
  postsPublishedAnyDateSql,
  publicationState,
  visiblePosts,
  visiblePostsSql,
} from './visibility.js';
import { Post } from './entities/index.js';
import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

describe('the publication rule', () => {
  it('is draft, scheduled or published by status and date', () => {
    expect(publicationState({ status: 'draft', publishedAt: at(-1000) }, NOW)).toBe('draft');
    expect(publicationState({ status: 'published', publishedAt: at(1) }, NOW)).toBe('scheduled');
    expect(publicationState({ status: 'published', publishedAt: NOW }, NOW)).toBe('published');
    expect(publicationState({ status: 'published', publishedAt: at(-1) }, NOW)).toBe('published');
  });

  describe('on a real database', () => {
    let db: ContentOnSqlite;
    beforeAll(async () => {
      db = await contentOnSqlite();
      await db.run(async () => {
        const rows: [string, Post['status'], Date | null][] = [
          ['draft', 'draft', at(-1000)],
          ['due', 'published', at(-1000)],
          ['now', 'published', NOW],
          ['later', 'published', at(1000)],
          ['undated', 'published', null],
        ];
        for (const [slug, status, publishedAt] of rows) {
          const post = new Post(slug, slug, 'x');
          post.status = status;
          post.publishedAt = publishedAt;
          db.em.persist(post);
        }
        await db.em.flush();
      });
    });
    afterAll(() => db.close());

    it('selects the same posts as an ORM filter, as SQL and for one post', async () => {
      await db.run(async () => {
        const orm = (await db.em.find(Post, visiblePosts(NOW), { orderBy: { slug: 'asc' } })).map((p) => p.slug);
        const { sql, params } = visiblePostsSql('p', NOW);
        const raw = (
          await db.em.getConnection().execute<{ slug: string }[]>(`SELECT slug FROM post p WHERE ${sql} ORDER BY slug`, params)
        ).map((r) => r.slug);
        const one = (await db.em.find(Post, {}, { orderBy: { slug: 'asc' } })).filter(
          (p) => publicationState(p, NOW) === 'published',
        );
        expect(orm).toEqual(['due', 'now']);
        expect(raw).toEqual(orm);
        expect(one.map((p) => p.slug)).toEqual(orm);
      });
    });

    it('has one form of "published, any date" (scheduled included, undated not): the ORM filter, the SQL and one post agree', async () => {
      await db.run(async () => {
        const orm = (await db.em.find(Post, postsPublishedAnyDate, { orderBy: { slug: 'asc' } })).map((p) => p.slug);
        const raw = (
          await db.em
            .getConnection()
            .execute<{ slug: string }[]>(`SELECT slug FROM post p WHERE ${postsPublishedAnyDateSql('p')} ORDER BY slug`)
        ).map((r) => r.slug);
        const one = (await db.em.find(Post, {}, { orderBy: { slug: 'asc' } })).filter((p) => isPublishedAnyDate(p));
        expect(orm).toEqual(['due', 'later', 'now']);
        expect(raw).toEqual(orm);
        expect(one.map((p) => p.slug)).toEqual(orm);
      });
    });
  });
});
