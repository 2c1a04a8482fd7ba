import { jest } from '@jest/globals';
import { EntityManager } from '@mikro-orm/better-sqlite';

import { ContentEvents, PostsService } from '@app/content';

import { contentOnSqlite, type ContentOnSqlite } from '../../test/support/content-on-sqlite.js';
import { CachedPage, PageCache } from './page-cache.service.js';

const page = (text: string) => new CachedPage('text/html', Buffer.from(text), undefined);

describe('PageCache', () => {
  let db: ContentOnSqlite;
  let cache: PageCache;
  let events: ContentEvents;

  beforeEach(async () => {
    db = await contentOnSqlite();
    events = db.get(ContentEvents);
    cache = new PageCache(events, db.get(PostsService), db.clock, db.get(EntityManager));
  });
  afterEach(() => db.close());

  it('evicts the least recently used page first, within its byte bound', async () => {
    cache.maxBytes = 30;
    const g = cache.currentGeneration;
    cache.store('/a', page('a'.repeat(10)), g);
    cache.store('/b', page('b'.repeat(10)), g);
    cache.store('/c', page('c'.repeat(10)), g);
    expect(await cache.get('/a')).toBeDefined(); // /a is now the most recent
    cache.store('/d', page('d'.repeat(10)), g);
    expect(await cache.get('/b')).toBeUndefined();
    expect(await cache.get('/a')).toBeDefined();
    expect(cache.stats()).toMatchObject({ entries: 3, bytes: 30 });
  });

  it('counts the compressed forms in its bound once they are made', async () => {
    const body = page('x'.repeat(2000));
    cache.store('/big', body, cache.currentGeneration);
    const before = body.size;
    body.bodyFor('gzip');
    cache.grew('/big', before);
    expect(cache.stats().bytes).toBe(body.size);
    expect(body.size).toBeGreaterThan(before);
  });

  it('drops everything on a content change, and never stores a render started before it', async () => {
    const before = cache.currentGeneration;
    cache.store('/a', page('a'), before);
    events.changed('post');
    expect(await cache.get('/a')).toBeUndefined();
    cache.store('/late', page('rendered before the change'), before);
    expect(await cache.get('/late')).toBeUndefined();
    cache.store('/fresh', page('after'), cache.currentGeneration);
    expect(await cache.get('/fresh')).toBeDefined();
  });

  it('expires when a scheduled post comes due, with no timer', async () => {
    const now = db.clock.now();
    await db.run(() =>
      db
        .get(PostsService)
        .create({ title: 'Soon', markdown: 'x', status: 'published', publishedAt: new Date(now.getTime() + 60_000) }),
    );
    await cache.get('/'); // looks up when the next post is due
    cache.store('/', page('home without Soon'), cache.currentGeneration);
    expect(await cache.get('/')).toBeDefined();
    jest.spyOn(db.clock, 'now').mockReturnValue(new Date(now.getTime() + 61_000));
    expect(await cache.get('/')).toBeUndefined();
  });
});
