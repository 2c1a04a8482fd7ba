import { deflateSync } from 'node:zlib';

import { EntityManager } from '@mikro-orm/better-sqlite';

import { MediaService, mediaUrl, WebmentionsService } from '@app/content';

import { PNG_SIGNATURE, pngChunk, pngIhdr } from './media-images.js';
import { daysAgo, type TestApp } from './test-app.js';

export const LONG_LINE = `const everyPlanet = [${Array.from({ length: 24 }, (_, i) => `'planet number ${i + 1}'`).join(', ')}];`;

export interface SeededSite {
  post: { id: number; slug: string };
  page: { slug: string };
  tag: string;
}

/**
 * A blog with something on every page type: the demo's welcome post and About page (start the
 * app with DEMO_CONTENT=true), a post with a wide image, a long code line, a table and math, a draft,
 * and a month of views for the dashboard.
 */
export async function seedSite(t: TestApp): Promise<SeededSite> {
  const media = t.app.get(MediaService);
  const wide = await t.run(() => media.upload(sunrise(1600, 400), 'sunrise over the ridge.png'));
  const post = await t.createPost({
    title: 'Notes from a field trip',
    tags: ['travel', 'photos'],
    publishedAt: daysAgo(2),
    markdown: [
      'We left before dawn and were on the ridge when the sun came up.',
      '',
      `![The sun rising over a ridge](${mediaUrl(wide)})`,
      '',
      '## What we packed',
      '',
      '| item | weight | carried by | bought | notes |',
      '| --- | ---: | --- | --- | --- |',
      '| tent | 2.1 kg | Ana | 2019 | two doors, one of them stuck |',
      '| stove | 0.4 kg | Ben | 2021 | burns hot, eats gas canisters |',
      '',
      '```js',
      LONG_LINE,
      '```',
      '',
      '## How far we walked',
      '',
      'At $v = 4.5\\,\\text{km/h}$ for $t$ hours, the distance is',
      '',
      '$$',
      'd = \\int_0^{t} v \\, d\\tau \\approx \\sum_{k=1}^{n} v \\, \\Delta t_k = \\frac{18}{4} \\cdot 4',
      '$$',
      '',
      'Next time: fewer socks, more coffee.',
    ].join('\n'),
  });
  await t.createPost({ title: 'An unfinished thought', status: 'draft', markdown: 'Not yet.' });
  await t.createPost({
    title: 'Why one SQLite file is enough',
    tags: ['inkstone'],
    publishedAt: daysAgo(9),
    markdown: 'A single writer, a few hundred readers a day, and a file that streams to a bucket.',
  });
  const page = await t.createPage({ title: 'Colophon', markdown: 'Set in the fonts your device already has.' });

  // A month of readers, shaped like a real one: quiet weekends, a busy launch day.
  const today = new Date();
  const rows: [number, string, number][] = [];
  for (let i = 0; i < 30; i++) {
    const day = new Date(today.getTime() - i * 86_400_000);
    const weekend = day.getUTCDay() % 6 === 0;
    rows.push([post.id, day.toISOString().slice(0, 10), (i === 2 ? 40 : weekend ? 3 : 9) + ((i * 7) % 5)]);
  }
  const values = rows.map(() => '(?, ?, ?)').join(', ');
  await t.app
    .get(EntityManager)
    .getConnection()
    .execute(`INSERT INTO post_view (post_id, day, count) VALUES ${values}`, rows.flat(), 'run');
  return { post: { id: post.id, slug: post.slug }, page: { slug: page.slug }, tag: 'travel' };
}

/** A picture worth putting in the README: a sky going from night to dawn, a sun, a ridge. */
function sunrise(width: number, height: number): Buffer {
  const mix = (a: number[], b: number[], f: number) => a.map((c, i) => Math.round(c + (b[i] - c) * f));
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + 3 * width);
    const sky = mix([30, 42, 74], [240, 138, 75], Math.min(1, y / (height * 0.8)));
    for (let x = 0; x < width; x++) {
      const ridge = height * (0.72 + 0.1 * Math.sin((x / width) * Math.PI * 2.3) + 0.04 * Math.sin(x / 37));
      const sun = Math.hypot(x - width * 0.62, y - height * 0.7) < height * 0.11;
      row.set(y > ridge ? [43, 35, 32] : sun ? [255, 214, 130] : sky, 1 + 3 * x);
    }
    rows.push(row);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngIhdr(width, height),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Webmentions of a post as the receiver stores them: an approved reply and like shown under the
 * post, and a held mention (with a long source URL) waiting in /admin/webmentions.
 */
export async function seedMentions(t: TestApp, postId: number, origin: string): Promise<void> {
  const mentions = t.app.get(WebmentionsService);
  const post = (await t.run(() => t.services.posts.findById(postId)))!;
  const target = `${origin}/posts/${post.slug}`;
  const ada = { authorName: 'Ada Lovelace', authorUrl: 'https://ada.example/', authorPhoto: null };
  await mentions.record(post, 'https://ada.example/notes/2026/12/ridge', target, {
    ...ada,
    kind: 'reply',
    content: 'We took the same path last spring: the view from the ridge is worth the early start.',
  });
  await mentions.record(post, 'https://ben.example/likes/41', target, {
    kind: 'like',
    authorName: 'Ben',
    authorUrl: null,
    authorPhoto: null,
    content: null,
  });
  await mentions.record(
    post,
    'https://a-very-long-host-name.example/2026/12/02/a-long-path-to-a-post-about-field-trips',
    target,
    {
      kind: 'mention',
      authorName: null,
      authorUrl: null,
      authorPhoto: null,
      content: 'A round-up of field trips, this one among them.',
    },
  );
  for (const m of await mentions.listForAdmin()) if (m.kind !== 'mention') await mentions.approve(m.id);
}
