import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { type ContentChange, ContentEvents } from './content-events.js';
import type { Post } from './entities/index.js';
import { PostsService } from './posts.service.js';
import { type MentionFacts, WebmentionsService } from './webmentions.service.js';

const SOURCE = 'https://other.example/notes/1';
const TARGET = 'https://blog.example/posts/hello';
const reply: MentionFacts = {
  kind: 'reply',
  authorName: 'Ada',
  authorUrl: 'https://ada.example/',
  authorPhoto: null,
  content: 'Nice.',
};

describe('WebmentionsService, on a real database', () => {
  let db: ContentOnSqlite;
  let mentions: WebmentionsService;
  let post: Post;
  let changes: ContentChange[];

  beforeEach(async () => {
    db = await contentOnSqlite();
    mentions = db.get(WebmentionsService);
    changes = [];
    db.get(ContentEvents).onChange((c) => changes.push(c));
    post = await db.run(() => db.get(PostsService).create({ title: 'Hello', markdown: 'x', status: 'published' }));
    changes = [];
  });
  afterEach(() => db.close());

  it('holds a new mention; approval shows it and drops cached pages (a content change)', async () => {
    expect(await mentions.record(post, SOURCE, TARGET, reply)).toBe('created');
    expect((await mentions.shownFor(post.id)).total).toBe(0);
    expect(changes).toEqual([]);
    const [held] = await mentions.listForAdmin();
    expect(await mentions.approve(held.id)).toBe(true);
    expect(changes).toEqual(['webmention']);
    expect(await mentions.shownFor(post.id)).toEqual({
      total: 1,
      counts: [{ kind: 'reply', count: 1 }],
      items: [{ kind: 'reply', source: SOURCE, authorName: 'Ada', authorUrl: 'https://ada.example/', content: 'Nice.' }],
    });
    expect(await mentions.approve(held.id)).toBe(false); // already approved
  });

  it('a re-sent mention updates its row; one that changed what it says is held again', async () => {
    await mentions.record(post, SOURCE, TARGET, reply);
    await mentions.approve((await mentions.listForAdmin())[0].id);
    expect(await mentions.record(post, SOURCE, TARGET, reply)).toBe('updated');
    expect((await mentions.shownFor(post.id)).total).toBe(1);
    changes = [];
    await mentions.record(post, SOURCE, TARGET, { ...reply, content: 'Buy pills.' });
    expect((await mentions.shownFor(post.id)).total).toBe(0);
    expect(changes).toEqual(['webmention']);
    expect(await mentions.listForAdmin()).toHaveLength(1);
  });

  it('removes the mention of a source that stopped linking, and goes with its post', async () => {
    await mentions.record(post, SOURCE, TARGET, reply);
    expect(await mentions.removeSource(SOURCE, TARGET)).toBe(true);
    expect(await mentions.removeSource(SOURCE, TARGET)).toBe(false);
    await mentions.record(post, SOURCE, TARGET, reply);
    await mentions.recordSent(post.id, 'https://x.example/', 'a'.repeat(64), null, 'no endpoint');
    await db.run(() => db.get(PostsService).delete(post.id));
    expect(await mentions.listForAdmin()).toEqual([]);
    expect((await mentions.sentFor(post.id)).size).toBe(0);
  });

  it('records what was sent per target, updated in place and forgotten on demand', async () => {
    await mentions.recordSent(post.id, 'https://x.example/', 'a'.repeat(64), 'https://x.example/wm', '202');
    await mentions.recordSent(post.id, 'https://x.example/', 'b'.repeat(64), 'https://x.example/wm', '201');
    const sent = await mentions.sentFor(post.id);
    expect([...sent.values()].map((s) => [s.target, s.contentHash[0], s.outcome])).toEqual([['https://x.example/', 'b', '201']]);
    await mentions.forgetSent(post.id, 'https://x.example/');
    expect((await mentions.sentFor(post.id)).size).toBe(0);
  });
});
