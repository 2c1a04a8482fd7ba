import { jest } from '@jest/globals';

import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { ContentNotFoundError, ContentValidationError } from './errors.js';
import { PostsService } from './posts.service.js';
import { RevisionsService } from './revisions.service.js';
import { SearchService } from './search.service.js';

describe('PostsService, on a real database', () => {
  let db: ContentOnSqlite;
  let posts: PostsService;
  let search: SearchService;
  const DAY = 86_400_000;

  beforeEach(async () => {
    db = await contentOnSqlite();
    [posts, search] = [db.get(PostsService), db.get(SearchService)];
  });
  afterEach(() => db.close());

  it('saves: renders the Markdown, derives a unique slug, keeps a revision, indexes for search', async () => {
    const first = await db.run(() =>
      posts.create({ title: 'Hello, World!', markdown: 'Some *words* here.', status: 'published' }),
    );
    const second = await db.run(() => posts.create({ title: 'Hello world', markdown: 'Other.', status: 'published' }));
    expect(first.slug).toBe('hello-world');
    expect(second.slug).not.toBe(first.slug);
    expect(first.html).toContain('<em>words</em>');
    expect(first.wordCount).toBe(3);
    expect(await db.run(() => db.get(RevisionsService).list(first.id))).toHaveLength(1);
    expect((await db.run(() => search.search('words'))).hits.map((h) => h.slug)).toEqual(['hello-world']);
  });

  it('a new slug leaves a redirect from the old one, for visible posts only; a live post wins over an old slug', async () => {
    const post = await db.run(() => posts.create({ title: 'First words', markdown: 'x', status: 'published' }));
    await db.run(() => posts.update(post.id, { title: 'First words', slug: 'renamed', markdown: 'x', status: 'published' }));
    expect(await db.run(() => posts.redirectFor('first-words'))).toBe('renamed');
    await db.run(() => posts.update(post.id, { title: 'First words', slug: 'renamed', markdown: 'x', status: 'draft' }));
    expect(await db.run(() => posts.redirectFor('first-words'))).toBeNull();
    await db.run(() => posts.create({ title: 'First words', markdown: 'new', status: 'published' }));
    expect(await db.run(() => posts.redirectFor('first-words'))).toBeNull();
  });

  it('publishes by the one rule: drafts and scheduled posts are invisible until their time', async () => {
    const now = db.clock.now();
    await db.run(() => posts.create({ title: 'Draft', markdown: 'x', status: 'draft' }));
    await db.run(() =>
      posts.create({ title: 'Later', markdown: 'x', status: 'published', publishedAt: new Date(now.getTime() + DAY) }),
    );
    await db.run(() => posts.create({ title: 'Now', markdown: 'x', status: 'published' }));
    const visible = async () => (await db.run(() => posts.listVisible(1, 10))).posts.map((p) => p.slug);
    expect(await visible()).toEqual(['now']);
    expect(await db.run(() => posts.statusCounts())).toEqual({ drafts: 1, published: 1, scheduled: 1 });
    expect(await db.run(() => posts.findVisibleBySlug('later'))).toBeNull();
    jest.spyOn(db.clock, 'now').mockReturnValue(new Date(now.getTime() + 2 * DAY));
    expect(await visible()).toEqual(['later', 'now']);
    expect((await db.run(() => posts.listForAdmin({ status: 'scheduled' }, 1))).total).toBe(0);
  });

  it('refuses invalid input and unknown posts, writing nothing', async () => {
    await expect(db.run(() => posts.create({ title: '', markdown: 'x' }))).rejects.toBeInstanceOf(ContentValidationError);
    await expect(db.run(() => posts.update(404, { title: 'x', markdown: 'x' }))).rejects.toBeInstanceOf(ContentNotFoundError);
    await expect(db.run(() => posts.delete(404))).rejects.toBeInstanceOf(ContentNotFoundError);
    expect(await db.run(() => posts.count())).toBe(0);
  });

  it('deletes a post and its search entry', async () => {
    const post = await db.run(() => posts.create({ title: 'Gone soon', markdown: 'ephemeral', status: 'published' }));
    await db.run(() => posts.delete(post.id));
    expect((await db.run(() => search.search('ephemeral'))).total).toBe(0);
  });
});
