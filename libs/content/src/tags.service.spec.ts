import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { ContentNotFoundError, ContentValidationError } from './errors.js';
import { Tag } from './entities/index.js';
import { PostsService } from './posts.service.js';
import { SearchService } from './search.service.js';
import { TagsService } from './tags.service.js';

describe('TagsService rename and merge, on a real database', () => {
  let db: ContentOnSqlite;
  let tags: TagsService;
  let posts: PostsService;
  let search: SearchService;
  const tagOf = (slug: string) => db.em.fork().findOne(Tag, { slug });
  const tagsOfPost = async (id: number) =>
    (
      (await db.em
        .fork()
        .getConnection()
        .execute(`SELECT t.slug FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = ? ORDER BY t.slug`, [
          id,
        ])) as { slug: string }[]
    ).map((r) => r.slug);
  const publish = (title: string, tagList: string[]) =>
    db.run(() =>
      posts.create({ title, markdown: `About ${title}.`, status: 'published', publishedAt: null, tags: tagList, slug: '' }),
    );

  beforeEach(async () => {
    db = await contentOnSqlite();
    [tags, posts, search] = [db.get(TagsService), db.get(PostsService), db.get(SearchService)];
  });
  afterEach(() => db.close());

  it('renames a tag: its slug follows, its posts keep it, search finds them by the new name', async () => {
    const post = await publish('Sailing', ['Boats']);
    const boats = (await tagOf('boats'))!;
    await db.run(() => tags.rename(boats.id, '  Tall   ships '));
    expect(await tagOf('boats')).toBeNull();
    expect((await tagOf('tall-ships'))?.name).toBe('Tall ships');
    expect(await tagsOfPost(post.id)).toEqual(['tall-ships']);
    expect((await db.run(() => search.search('tall'))).hits.map((h) => h.slug)).toEqual(['sailing']);
  });

  it('renaming to the name of another tag merges into it, without a post tagged twice', async () => {
    const both = await publish('Both', ['Boats', 'Ships']);
    const one = await publish('One', ['Boats']);
    const boats = (await tagOf('boats'))!;
    const ships = (await tagOf('ships'))!;
    const kept = await db.run(() => tags.rename(boats.id, 'SHIPS'));
    expect(kept.id).toBe(ships.id);
    expect(await tagOf('boats')).toBeNull();
    expect(await tagsOfPost(both.id)).toEqual(['ships']);
    expect(await tagsOfPost(one.id)).toEqual(['ships']);
  });

  it('refuses a name without letters or digits, a missing tag, and a merge into itself', async () => {
    await publish('Sailing', ['Boats']);
    const boats = (await tagOf('boats'))!;
    await expect(db.run(() => tags.rename(boats.id, ' -- '))).rejects.toBeInstanceOf(ContentValidationError);
    await expect(db.run(() => tags.rename(boats.id, 'x'.repeat(61)))).rejects.toBeInstanceOf(ContentValidationError);
    await expect(db.run(() => tags.rename(9999, 'Ships'))).rejects.toBeInstanceOf(ContentNotFoundError);
    await expect(db.run(() => tags.merge(boats.id, boats.id))).rejects.toBeInstanceOf(ContentValidationError);
    await expect(db.run(() => tags.merge(boats.id, 9999))).rejects.toBeInstanceOf(ContentNotFoundError);
    expect((await tagOf('boats'))?.name).toBe('Boats'); // nothing changed
  });
});
