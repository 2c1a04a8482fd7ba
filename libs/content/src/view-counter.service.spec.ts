import { jest } from '@jest/globals';

import { contentOnSqlite, type ContentOnSqlite } from '../../../apps/blog/test/support/content-on-sqlite.js';
import { PostsService } from './posts.service.js';
import { SHOWN_COUNTS_EVERY_MS, ViewCounterService } from './view-counter.service.js';

const READER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

describe('ViewCounterService: the counts readers are shown', () => {
  let db: ContentOnSqlite;
  let views: ViewCounterService;
  let now: number;

  beforeEach(async () => {
    db = await contentOnSqlite();
    views = db.get(ViewCounterService);
    now = Date.now();
    jest.spyOn(db.clock, 'now').mockImplementation(() => new Date(now));
  });
  afterEach(() => db.close());

  const post = (title: string) => db.run(() => db.get(PostsService).create({ title, markdown: 'x', status: 'published' }));

  it('shows stored counts only, per post and site-wide, and moves them at most once a minute', async () => {
    const [a, b] = [await post('A'), await post('B')];
    const first = await views.shown();
    expect([first.of(a.id), first.all]).toEqual([0, 0]);

    views.record(a.id, READER);
    views.record(a.id, READER);
    views.record(b.id, READER);
    views.record(a.id, 'Googlebot/2.1');
    expect(views.currentEpoch()).toBe(first.epoch); // pending views move nothing

    await views.flush();
    const epoch = views.currentEpoch();
    expect(epoch).toBeGreaterThan(first.epoch);
    const stored = await views.shown();
    expect([stored.epoch, stored.of(a.id), stored.of(b.id), stored.all]).toEqual([epoch, 2, 1, 3]);

    views.record(b.id, READER);
    await views.flush();
    now += SHOWN_COUNTS_EVERY_MS - 1;
    expect(views.currentEpoch()).toBe(epoch); // stored, but within the minute: pages keep their counts
    expect((await views.shown()).all).toBe(3);
    now += 1;
    expect(views.currentEpoch()).toBeGreaterThan(epoch);
    expect((await views.shown()).all).toBe(4);
  });

  it('reads the counts once per move, not once per page', async () => {
    await post('A');
    const execute = jest.spyOn(db.em.getConnection(), 'execute');
    await Promise.all([views.shown(), views.shown(), views.shown()]);
    await views.shown();
    expect(execute.mock.calls.filter(([sql]) => String(sql).includes('post_view'))).toHaveLength(1);
  });

  it('forgets a deleted post’s views (they are deleted with it)', async () => {
    const [a, b] = [await post('A'), await post('B')];
    views.record(a.id, READER);
    views.record(b.id, READER);
    await views.flush();
    expect((await views.shown()).all).toBe(2);
    await db.run(() => db.get(PostsService).delete(a.id));
    expect((await views.shown()).all).toBe(1);
  });
});
