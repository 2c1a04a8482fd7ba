/**
 * `npm run bench:cards`: how long one social card takes to draw (satori's layout + resvg's PNG),
 * with the build's assets (dist/card-assets), for titles in each script the card covers. The first
 * card of a process also loads satori, resvg and the Latin fonts: measured apart. Prints a
 * Markdown table for BENCHMARKS.md.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import sharp from 'sharp';

import { DIST_ROOT, median } from './processes.js';

const RUNS = 15;

interface CardContent {
  title: string;
  siteName: string;
  date: string;
  feature: string | null;
}
type Render = (card: CardContent, assetsDir: string) => Promise<Buffer>;

const { renderCard } = (await import(pathToFileURL(join(DIST_ROOT, 'libs/content/src/social-card/card-renderer.js')).href)) as {
  renderCard: Render;
};
const assets = join(DIST_ROOT, 'card-assets');
const card = (title: string, feature: string | null = null): CardContent => ({
  title,
  siteName: 'Inkstone',
  date: 'November 20, 2026',
  feature,
});

const photo = await sharp({ create: { width: 440, height: 630, channels: 3, background: '#3070a0' } })
  .jpeg({ quality: 82 })
  .toBuffer();
const cases: [string, CardContent][] = [
  ['Latin, short', card('Harbour lights at dusk')],
  ['Latin, 300 characters (clamped to 4 lines)', card('A long title about harbours and lights. '.repeat(8).slice(0, 300))],
  ['Chinese + Japanese', card('漢字とかな、世界の朝と港の灯り')],
  ['Arabic', card('مرحبا بالعالم من المدونة الصغيرة')],
  ['Emoji', card('Launch day 🎉👩‍💻🌍🚀')],
  ['All of them', card('Hello 世界 مرحبا 🎉 and a few Latin words')],
  ['Latin + feature image', card('Harbour lights at dusk', `data:image/jpeg;base64,${photo.toString('base64')}`)],
];

const ms = (n: number) => `${Math.round(n)} ms`;
const rssBefore = process.memoryUsage().rss;
let started = performance.now();
await renderCard(cases[0][1], assets);
const first = performance.now() - started;

const rows: string[] = [];
for (const [name, content] of cases) {
  const times: number[] = [];
  let bytes = 0;
  // The first render of a case loads the fallback fonts it needs: counted apart.
  started = performance.now();
  await renderCard(content, assets);
  const firstOfCase = performance.now() - started;
  for (let i = 0; i < RUNS; i++) {
    started = performance.now();
    bytes = (await renderCard(content, assets)).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  rows.push(
    `| ${name} | ${ms(firstOfCase)} | ${ms(median(times))} | ${ms(times[Math.floor(times.length * 0.9)])} | ${Math.round(bytes / 1024)} KB |`,
  );
}

console.log(`First card of a process (loads satori, resvg, Latin fonts): ${ms(first)}`);
console.log(`RSS after all cases: +${Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024)} MB\n`);
console.log('| title | first of its kind | median | p90 | PNG |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
