import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { HttpAdmin } from './http-admin.js';
import { png } from './media-images.js';
import { freePort, startMain, waitForHttp } from './process.js';

export interface LoadOptions {
  seconds: number;
  readers: number;
}

export interface LoadResult {
  seconds: number;
  readers: number;
  reads: number;
  readsPerSecond: number;
  readLatencyMs: { p50: number; p95: number; p99: number; max: number };
  statuses: Record<string, number>;
  serverErrors: string[];
  /** Reads answered with another status than their route's (e.g. a 404 for a page that exists), counted. */
  unexpectedStatuses: Record<string, number>;
  networkErrors: number;
  saves: { created: number; edited: number; refused: number; latencyMsP95: number };
  uploads: { stored: number; refused: number };
  sqliteBusy: number;
  missingSaves: string[];
  integrity: string;
  /** The slowest route by its 95th percentile, to tell where the time goes. */
  slowestRoutes: { path: string; p95: number; max: number }[];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/**
 * Readers on every route and the author saving posts and uploading images, all at once, against
 * the compiled app as a process on loopback (the load generator in this process, the server in its
 * own, as in production). Stops by itself after `seconds`; then the server is stopped and its
 * database checked: every acknowledged save must be there, and SQLite must find nothing wrong.
 */
export async function runLoad({ seconds, readers }: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-load-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const password = 'load test password 123';
  const app = startMain({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, 'blog.db'),
    ADMIN_PASSWORD: password,
    LOG_LEVEL: 'warn',
    DEMO_CONTENT: 'true',
  });
  try {
    await waitForHttp(`${base}/healthz`);
    const author = new HttpAdmin(base);
    await author.login('admin', password);

    // Something for every route to show: a few posts with tags, a page, an image.
    const seeded: { slug: string; tag: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await author.request('POST', '/admin/posts/new', {
        _csrf: author.csrf,
        title: `Seed ${i} ${['alpha', 'beta', 'gamma'][i % 3]}`,
        markdown: `Seed text number ${i} with **bold** and a [link](https://example.com).\n\n\`\`\`ts\nconst x = ${i};\n\`\`\``,
        status: 'published',
        tags: `seed, group-${i % 3}`,
      });
      if (res.status !== 303) throw new Error(`seeding answered ${res.status}`);
      seeded.push({ slug: `seed-${i}-${['alpha', 'beta', 'gamma'][i % 3]}`, tag: `group-${i % 3}` });
    }
    const image = await upload(author, 0);
    if (!image.ok) throw new Error('seeding an image failed');

    // Every route with the one status it must answer: a run of 404s is no successful load test.
    const expected = new Map<string, number>([
      ['/', 200],
      ['/?page=2', 200],
      ['/tags', 200],
      ['/search?q=seed', 200],
      ['/search?q=alpha%20text', 200],
      ['/feed.xml', 200],
      ['/feed.json', 200],
      ['/sitemap.xml', 200],
      ['/robots.txt', 200],
      ['/healthz', 200],
      ['/about', 200],
      ['/static/css/site.css', 200],
      ['/no-such-page', 404],
      [image.url!, 200],
      ...seeded.map((s) => [`/posts/${s.slug}`, 200] as const),
      ...seeded.slice(0, 3).map((s) => [`/tags/${s.tag}`, 200] as const),
    ]);
    const routes = [...expected.keys()];
    const unexpectedStatuses: Record<string, number> = {};

    const deadline = Date.now() + seconds * 1_000;
    const latencies: number[] = [];
    const byRoute = new Map<string, number[]>();
    const statuses: Record<string, number> = {};
    const serverErrors: string[] = [];
    let networkErrors = 0;

    const reader = async (n: number) => {
      for (let i = n; Date.now() < deadline; i++) {
        const path = routes[i % routes.length];
        const started = performance.now();
        try {
          const res = await fetch(`${base}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
          const ms = performance.now() - started;
          latencies.push(ms);
          if (!byRoute.has(path)) byRoute.set(path, []);
          byRoute.get(path)!.push(ms);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status >= 500) serverErrors.push(`${res.status} GET ${path}`);
          if (res.status !== expected.get(path)) {
            const key = `${res.status} GET ${path} (expected ${expected.get(path)})`;
            unexpectedStatuses[key] = (unexpectedStatuses[key] ?? 0) + 1;
          }
        } catch {
          networkErrors++;
        }
      }
    };

    // The author: a new post, two edits of it, an image, and again, until the time is up.
    const acknowledged = new Map<number, string>();
    const saveLatencies: number[] = [];
    const saves = { created: 0, edited: 0, refused: 0 };
    const uploads = { stored: 0, refused: 0 };
    const storedImages: number[] = [image.id!];
    const writer = async () => {
      for (let n = 1; Date.now() < deadline; n++) {
        const markdown = `Load post ${n}, first version.\n\n${'Words under load. '.repeat(40)}`;
        let started = performance.now();
        const created = await author.request('POST', '/admin/posts/new', {
          _csrf: author.csrf,
          title: `Load ${n}`,
          markdown,
          status: 'published',
          tags: 'load, seed',
        });
        saveLatencies.push(performance.now() - started);
        const id = Number(/\/admin\/posts\/(\d+)\/edit/.exec(created.headers.get('location') ?? '')?.[1]);
        if (created.status >= 500) serverErrors.push(`${created.status} POST new post`);
        if (created.status !== 303 || !id) {
          saves.refused++;
          continue;
        }
        saves.created++;
        acknowledged.set(id, markdown);
        for (const version of ['second', 'third']) {
          const edited = `Load post ${n}, ${version} version.\n\n${'Edited under load. '.repeat(40)}`;
          started = performance.now();
          const res = await author.request('POST', `/admin/posts/${id}/edit`, {
            _csrf: author.csrf,
            title: `Load ${n}`,
            markdown: edited,
            status: 'published',
            tags: 'load, seed',
          });
          saveLatencies.push(performance.now() - started);
          if (res.status >= 500) serverErrors.push(`${res.status} POST edit`);
          if (res.status === 303) {
            saves.edited++;
            acknowledged.set(id, edited);
          } else saves.refused++;
        }
        const up = await upload(author, n);
        if (up.status >= 500) serverErrors.push(`${up.status} POST upload`);
        if (up.ok) {
          uploads.stored++;
          storedImages.push(up.id!);
        } else uploads.refused++;
      }
    };

    const started = Date.now();
    await Promise.all([...Array.from({ length: readers }, (_, n) => reader(n)), writer()]);
    const elapsed = (Date.now() - started) / 1_000;

    app.child.kill('SIGTERM');
    const exit = await app.exited;
    if (exit.code !== 0) throw new Error(`the app exited with ${exit.code}: ${app.output().slice(-2_000)}`);

    const db = new Database(join(dir, 'blog.db'), { readonly: true });
    const missingSaves: string[] = [];
    let integrity: string;
    try {
      const get = db.prepare('SELECT markdown FROM post WHERE id = ?');
      for (const [id, markdown] of acknowledged) {
        const row = get.get(id) as { markdown: string } | undefined;
        if (row?.markdown !== markdown) missingSaves.push(`post ${id}: ${row ? 'an older version' : 'missing'}`);
      }
      const media = db.prepare('SELECT id FROM media WHERE id = ?');
      for (const id of storedImages) if (!media.get(id)) missingSaves.push(`media ${id}: missing`);
      integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    } finally {
      db.close();
    }

    latencies.sort((a, b) => a - b);
    saveLatencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      seconds: round(elapsed),
      readers,
      reads: latencies.length,
      readsPerSecond: Math.round(latencies.length / elapsed),
      readLatencyMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? 0),
      },
      statuses,
      serverErrors: serverErrors.slice(0, 20),
      unexpectedStatuses,
      networkErrors,
      saves: { ...saves, latencyMsP95: round(percentile(saveLatencies, 95)) },
      uploads,
      sqliteBusy: (app.output().match(/SQLITE_BUSY|database is locked/g) ?? []).length,
      missingSaves,
      integrity,
      slowestRoutes: [...byRoute]
        .map(([path, ms]) => {
          ms.sort((a, b) => a - b);
          return { path, p95: round(percentile(ms, 95)), max: round(ms.at(-1) ?? 0) };
        })
        .sort((a, b) => b.p95 - a.p95)
        .slice(0, 5),
    };
  } finally {
    app.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function upload(author: HttpAdmin, n: number): Promise<{ ok: boolean; status: number; id?: number; url?: string }> {
  const form = new FormData();
  // A different image each time (size and shade), so each upload is a new row.
  const side = 8 + (n % 50);
  form.append('file', new Blob([new Uint8Array(png(side, side, n % 251))], { type: 'image/png' }), `load-${n}.png`);
  const res = await fetch(`${author.base}/admin/media`, {
    method: 'POST',
    headers: { 'X-CSRF-Token': author.csrf, Accept: 'application/json', Cookie: author.cookieHeader() },
    body: form,
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status !== 201) return { ok: false, status: res.status };
  const body = (await res.json()) as { id: number; url: string };
  return { ok: true, status: res.status, id: body.id, url: body.url };
}
