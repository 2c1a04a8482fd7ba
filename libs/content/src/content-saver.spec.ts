import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { type ContentChange, ContentEvents } from './content-events.js';
import { ContentSaver, type PostDraft } from './content-saver.js';
import { Media, Page, Post, Revision, SlugRedirect } from './entities/index.js';
import { ContentNotFoundError, ContentValidationError } from './errors.js';
import { PostsService } from './posts.service.js';
import { SearchService } from './search.service.js';

describe('ContentSaver: the one save of posts and pages, on a real database', () => {
  let db: ContentOnSqlite;
  let saver: ContentSaver;
  let changes: ContentChange[];
  const count = (entity: typeof Post | typeof Page | typeof Revision | typeof SlugRedirect) => db.em.fork().count(entity);
  const found = async (words: string) => (await db.run(() => db.get(SearchService).search(words))).hits.map((h) => h.slug);
  const redirects = async () =>
    (await db.em.fork().find(SlugRedirect, {}, { populate: ['post'], orderBy: { fromSlug: 'asc' } })).map(
      (r) => `${r.fromSlug}→${r.post.slug}`,
    );
  /** As the importer writes: inside a transaction of the caller's. */
  const writeInTransaction = (existing: Post | null, draft: Omit<PostDraft, 'body'>, claimed?: ReadonlySet<string>) =>
    db.run(() =>
      db.em.transactional(async (em) =>
        saver.writePost(
          em,
          existing && (await em.findOneOrFail(Post, existing.id, { populate: ['tags'] })),
          {
            ...draft,
            body: await saver.render(draft.markdown, em),
          },
          claimed,
        ),
      ),
    );
  const draft = (title: string, more: Partial<PostDraft> = {}): Omit<PostDraft, 'body'> => ({
    title,
    markdown: `About ${title}.`,
    status: 'published',
    slug: null,
    publishedAt: null,
    tags: [],
    ...more,
  });

  beforeEach(async () => {
    db = await contentOnSqlite();
    saver = db.get(ContentSaver);
    changes = [];
    db.get(ContentEvents).onChange((c) => changes.push(c));
  });
  afterEach(() => db.close());

  it("renders with the stored facts of the blog's own images, as the preview does", async () => {
    const media = Object.assign(new Media('boat.png', 'image/png', 100, 'a'.repeat(64)), { width: 800, height: 600 });
    await db.em.fork().persist(media).flush();
    const markdown = `![A boat](/media/${media.id}/boat.png)`;
    const post = await db.run(() => saver.savePost(null, { title: 'Boat', markdown, status: 'published' }));
    expect(post.html).toMatch(/width="800" height="600"/);
    expect((await db.run(() => saver.render(markdown))).html).toBe(post.html);
  });

  it('an editor save writes the post, one revision and the search entry, then tells the caches once', async () => {
    const post = await db.run(() => saver.savePost(null, { title: 'Sea words', markdown: 'Waves *here*.', status: 'published' }));
    expect([post.slug, post.html]).toEqual(['sea-words', '<p>Waves <em>here</em>.</p>\n']);
    expect(await count(Revision)).toBe(1);
    expect(await found('waves')).toEqual(['sea-words']);
    expect(changes).toEqual(['post']);
    await db.run(() => saver.savePost(post.id, { title: 'Sea words', markdown: 'Calm now.', status: 'published' }));
    expect(await count(Revision)).toBe(2);
    expect([await found('waves'), await found('calm')]).toEqual([[], ['sea-words']]);
  });

  it('refuses invalid input and unknown records before writing anything', async () => {
    await expect(db.run(() => saver.savePost(null, { title: ' ', markdown: 'x' }))).rejects.toBeInstanceOf(
      ContentValidationError,
    );
    await expect(db.run(() => saver.savePost(7, { title: 'x', markdown: 'x' }))).rejects.toBeInstanceOf(ContentNotFoundError);
    await expect(db.run(() => saver.savePage(7, { title: 'x', markdown: 'x' }))).rejects.toBeInstanceOf(ContentNotFoundError);
    expect([await count(Post), await count(Page), await count(Revision)]).toEqual([0, 0, 0]);
    expect(changes).toEqual([]);
  });

  it('a moved post leaves a redirect from its old slug; a post that takes that slug later wins over it', async () => {
    const post = await db.run(() => saver.savePost(null, { title: 'First', markdown: 'x', status: 'published' }));
    await db.run(() => saver.savePost(post.id, { title: 'First', slug: 'renamed', markdown: 'x', status: 'published' }));
    expect(await redirects()).toEqual(['first→renamed']);
    await db.run(() => saver.savePost(null, { title: 'First', markdown: 'new', status: 'published' }));
    expect(await redirects()).toEqual([]);
  });

  it('a slug taken by another post gets a suffix, and a post never redirects to itself', async () => {
    await db.run(() => saver.savePost(null, { title: 'Same', markdown: 'x' }));
    const second = await db.run(() => saver.savePost(null, { title: 'Same', markdown: 'y' }));
    expect(second.slug).toBe('same-2');
    // Asking again for the taken slug leaves the post where it is: no move, so no redirect.
    const again = await db.run(() => saver.savePost(second.id, { title: 'Same', slug: 'same', markdown: 'y' }));
    expect(again.slug).toBe('same-2');
    expect(await redirects()).toEqual([]);
  });

  it('pages: unique slugs that stay clear of the routes the site answers; no revisions, no search entry', async () => {
    const admin = await db.run(() => saver.savePage(null, { title: 'Admin', markdown: 'Words on a page.', status: 'published' }));
    expect(admin.slug).toBe('admin-2');
    const about = await db.run(() => saver.savePage(null, { title: 'About', markdown: 'Me.', navOrder: 2 }));
    await db.run(() => saver.savePage(about.id, { title: 'About', slug: 'admin-2', markdown: 'Me.', navOrder: 1 }));
    const saved = await db.em.fork().findOneOrFail(Page, about.id);
    expect([saved.slug, saved.navOrder, saved.html]).toEqual(['admin-2-2', 1, '<p>Me.</p>\n']);
    expect([await count(Revision), await found('words')]).toEqual([0, []]);
    expect(changes).toEqual(['page', 'page', 'page']);
  });

  it("inside a caller's transaction (the importer): dates, old slugs and history from the file; nothing announced", async () => {
    const createdAt = new Date('2019-01-02T03:04:05Z');
    const updatedAt = new Date('2020-06-07T08:09:10Z');
    const history = [{ title: 'Draft one', markdown: 'Early.', createdAt }];
    const { post, refusedRedirects } = await writeInTransaction(
      null,
      draft('Imported', { createdAt, updatedAt, formerSlugs: ['old-name', 'imported'], revisions: history }),
    );
    const stored = await db.em.fork().findOneOrFail(Post, post.id);
    expect([stored.createdAt, stored.updatedAt]).toEqual([createdAt, updatedAt]);
    expect([await redirects(), refusedRedirects]).toEqual([['old-name→imported'], []]);
    expect((await db.em.fork().find(Revision, {})).map((r) => r.title)).toEqual(['Draft one']);
    expect(await found('imported')).toEqual(['imported']);
    expect(changes).toEqual([]);
  });

  it('an old slug where a post lives, or will live by the same import, is refused, not redirected', async () => {
    await writeInTransaction(null, draft('Taken'));
    const { refusedRedirects } = await writeInTransaction(
      null,
      draft('Mover', { formerSlugs: ['taken', 'later', 'free'] }),
      new Set(['later']),
    );
    expect(refusedRedirects).toEqual(['taken', 'later']);
    expect(await redirects()).toEqual(['free→mover']);
  });

  it('writes nothing, search entry included, when the transaction around it fails', async () => {
    await expect(
      db.run(() =>
        db.em.transactional(async (em) => {
          await saver.writePost(em, null, { ...draft('Doomed'), body: await saver.render('Doomed words.', em) });
          throw new Error('a later record failed');
        }),
      ),
    ).rejects.toThrow('a later record failed');
    expect([await count(Post), await count(Revision), await found('doomed')]).toEqual([0, 0, []]);
  });

  it('PostsService and PagesService save through it', async () => {
    const post = await db.run(() => db.get(PostsService).create({ title: 'Via posts', markdown: 'x' }));
    expect([post.slug, await count(Revision), changes]).toEqual(['via-posts', 1, ['post']]);
  });
});
