import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { type ContentChange, ContentEvents } from './content-events.js';
import type { Post } from './entities/index.js';
import { PostsService } from './posts.service.js';
import { RedirectsService } from './redirects.service.js';
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

  it('a post is due once it is visible and has not had a whole round since it went live', async () => {
    const posts = db.get(PostsService);
    const now = new Date();
    // Created visible without a round (as the service does it; the editor's save sends and marks).
    expect((await mentions.nextDue(now))?.id).toBe(post.id);
    await mentions.markSent(post.id, now);
    expect(await mentions.nextDue(now)).toBeNull();

    const later = new Date(now.getTime() + 86_400_000);
    const scheduled = await db.run(() =>
      posts.create({ title: 'Tomorrow', markdown: 'x', status: 'published', publishedAt: later }),
    );
    await mentions.markSent(scheduled.id, now); // e.g. saved again before it went live: a stamp before publishedAt
    expect(await mentions.nextDue(now)).toBeNull(); // not visible yet
    const after = new Date(later.getTime() + 60_000);
    expect((await mentions.nextDue(after))?.id).toBe(scheduled.id);
    expect(await mentions.nextDue(after, [scheduled.id])).toBeNull();
    await mentions.markSent(scheduled.id, after);
    expect(await mentions.nextDue(after)).toBeNull();
  });

  it('deleting a visible post leaves its address (and old slugs) 410 Gone and hands back whom it had told', async () => {
    const posts = db.get(PostsService);
    const redirects = db.get(RedirectsService);
    await db.run(() => posts.update(post.id, { title: 'Hello', slug: 'hello-again', markdown: 'x', status: 'published' }));
    await mentions.recordSent(post.id, 'https://other.example/a', 'h', 'https://other.example/wm', '202');
    const draft = await db.run(() => posts.create({ title: 'Never shown', markdown: 'x', status: 'draft' }));

    expect(await db.run(() => posts.delete(post.id))).toEqual({
      path: '/posts/hello-again',
      sentTo: ['https://other.example/a'],
    });
    expect(await redirects.isGone('/posts/hello-again')).toBe(true);
    expect(await redirects.isGone('/posts/hello/')).toBe(true); // the old slug, as a reader may type it
    expect(await mentions.sentFor(post.id)).toEqual(new Map());

    // A draft nobody saw and that told nobody leaves no tombstone.
    await db.run(() => posts.delete(draft.id));
    expect(await redirects.isGone(`/posts/${draft.slug}`)).toBe(false);
  });
});
