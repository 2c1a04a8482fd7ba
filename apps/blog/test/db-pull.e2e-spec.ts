import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import request from 'supertest';

import { replicateFileIntoBucket } from './cloud-run/seed-bucket.js';
import { loggedInAgent } from './support/admin-agent.js';
import { LITESTREAM_BIN } from './support/container.js';
import { startGcsStandIn } from './support/gcs-stand-in.js';
import { bytes } from './support/media-http.js';
import { png } from './support/media-images.js';
import { rows, runCli } from './support/portability.js';
import { spawnCaptured } from './support/process.js';
import { waitNudging } from './support/litestream-nudge.js';
import { leaseRaceOrAbsent } from './support/rollout.js';
import { startTestApp } from './support/test-app.js';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `npm run db:pull` against a replica written by the real Litestream binary to a file:// URL. */
describe('db:pull', () => {
  let dir: string;
  let replicaUrl: string;
  let beforeSecondWrite: Date;
  const pull = (args: string[], env: Record<string, string> = { LITESTREAM_REPLICA_URL: replicaUrl }) =>
    runCli('db-pull', args, { ...env, LITESTREAM_BIN });
  const notes = (file: string) => rows<{ text: string }>(file, 'SELECT text FROM note ORDER BY rowid').map((r) => r.text);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-db-pull-'));
    const source = join(dir, 'live.db');
    const replica = join(dir, 'replica');
    replicaUrl = `file://${replica}`;
    const walSegments = () =>
      existsSync(replica)
        ? (readdirSync(replica, { recursive: true }) as string[]).filter((f) => f.endsWith('.wal.lz4')).length
        : 0;

    const db = new Database(source);
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE note (text TEXT); INSERT INTO note VALUES ('first')");
    const config = join(dir, 'litestream.yml');
    writeFileSync(
      config,
      `dbs:\n  - path: ${source}\n    monitor-interval: 100ms\n    replicas:\n      - url: ${replicaUrl}\n        sync-interval: 100ms\n`,
    );
    const litestream = spawnCaptured(LITESTREAM_BIN, ['replicate', '-config', config], {});
    try {
      await waitFor('the first WAL segment in the replica', () => walSegments() > 0);
      // Litestream restores by the time segments were written: leave a clear second either side.
      await sleep(1100);
      beforeSecondWrite = new Date();
      await sleep(1100);
      const segments = walSegments();
      db.exec("INSERT INTO note VALUES ('second')");
      await waitNudging('the second write in the replica', db, () => walSegments() > segments);
    } finally {
      db.close();
      litestream.child.kill('SIGTERM');
      await litestream.exited;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restores the latest state to --out', async () => {
    const out = join(dir, 'latest.db');
    const result = await pull(['--out', out]);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Restored ${replicaUrl} to ${out}`);
    expect(notes(out)).toEqual(['first', 'second']);
  });

  it('restores a point in time with --timestamp', async () => {
    const out = join(dir, 'earlier.db');
    const result = await pull(['--timestamp', beforeSecondWrite.toISOString(), '--out', out]);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`as of ${beforeSecondWrite.toISOString()}`);
    expect(notes(out)).toEqual(['first']);
  });

  it('restores from Cloud Storage (the stand-in speaking its JSON API to Litestream)', async () => {
    const gcs = await startGcsStandIn({ buckets: ['test-bucket'] });
    const source = join(dir, 'gcs-live.db');
    const gcsUrl = 'gcs://test-bucket/blog/inkstone.db';
    const db = new Database(source);
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE note (text TEXT); INSERT INTO note VALUES ('in the bucket')");
    const config = join(dir, 'gcs.yml');
    writeFileSync(
      config,
      `dbs:\n  - path: ${source}\n    monitor-interval: 100ms\n    replicas:\n      - url: ${gcsUrl}\n        sync-interval: 100ms\n`,
    );
    const env = gcs.env;
    const litestream = spawnCaptured(LITESTREAM_BIN, ['replicate', '-config', config], env);
    try {
      await waitFor('a WAL segment in the bucket', () =>
        [...gcs.objects('test-bucket').keys()].some((k) => k.endsWith('.wal.lz4')),
      );
    } finally {
      db.close();
      litestream.child.kill('SIGTERM');
      await litestream.exited;
    }
    try {
      const out = join(dir, 'from-gcs.db');
      const result = await pull(['--out', out], { ...env, LITESTREAM_REPLICA_URL: gcsUrl });
      expect(result.code).toBe(0);
      expect(notes(out)).toEqual(['in the bucket']);
      // Litestream and db:pull (with its lease read: none was written here) made only known requests.
      expect(gcs.unexpected(leaseRaceOrAbsent)).toEqual([]);
    } finally {
      await gcs.stop();
    }
  });

  it('brings the images the database names from the bucket beside the pulled file, and the pulled blog serves them', async () => {
    // A real blog with two uploads (one shown by a post), put into the bucket as production has it:
    // the database through Litestream, the images under the media prefix beside the replica.
    const blog = await startTestApp();
    const images = [png(60, 40, 71), png(50, 50, 72)];
    const uploaded: { id: number; url: string }[] = [];
    try {
      const { agent, csrf } = await loggedInAgent(blog);
      for (const [i, image] of images.entries()) {
        const res = await agent
          .post('/admin/media')
          .set('X-CSRF-Token', csrf)
          .set('Accept', 'application/json')
          .attach('file', image, { filename: `pulled-${i}.png`, contentType: 'image/png' })
          .expect(201);
        uploaded.push(res.body as { id: number; url: string });
      }
      await agent
        .post('/admin/posts/new')
        .type('form')
        .send({ _csrf: csrf, title: 'Pulled photos', markdown: `![one](${uploaded[0].url})\n`, status: 'published' })
        .expect(303);
    } finally {
      await blog.app.close();
    }
    const gcs = await startGcsStandIn({ buckets: ['photo-bucket'] });
    const gcsUrl = 'gcs://photo-bucket/blog/inkstone.db';
    const out = join(dir, 'pulled-blog', 'inkstone.db');
    try {
      await replicateFileIntoBucket(gcs, gcsUrl, blog.databasePath);
      const result = await pull(['--out', out], { ...gcs.env, LITESTREAM_REPLICA_URL: gcsUrl });
      expect(result.code).toBe(0);
      expect(result.output).toMatch(/Images: \d+ copied from gs:\/\/photo-bucket\/blog\/media\//);
      // A database downloaded from the admin (no images in it): --images-for brings its images beside it.
      mkdirSync(join(dir, 'downloaded'));
      copyFileSync(out, join(dir, 'downloaded', 'backup.db'));
      const images = await pull(['--images-for', join(dir, 'downloaded', 'backup.db')], {
        ...gcs.env,
        LITESTREAM_REPLICA_URL: gcsUrl,
      });
      expect([images.code, images.output]).toEqual([
        0,
        expect.stringMatching(/^Images: \d+ copied from gs:\/\/photo-bucket\/blog\/media\//),
      ]);
      expect(readdirSync(join(dir, 'downloaded', 'media')).sort()).toEqual(readdirSync(join(dir, 'pulled-blog', 'media')).sort());
      expect(gcs.unexpected(leaseRaceOrAbsent)).toEqual([]);
    } finally {
      await gcs.stop();
      rmSync(blog.dir, { recursive: true, force: true });
    }
    const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    for (const image of images)
      expect(readFileSync(join(dir, 'pulled-blog', 'media', `${sha256(image)}.png`)).equals(image)).toBe(true);

    // The pulled blog runs on the folder (the bucket is gone): same addresses, same bytes.
    const pulled = await startTestApp({ DATABASE_PATH: out });
    try {
      for (const [i, { url }] of uploaded.entries()) {
        const res = await request(pulled.server).get(url).buffer(true).parse(bytes).expect(200);
        expect((res.body as Buffer).equals(images[i])).toBe(true);
      }
      const post = await request(pulled.server).get('/posts/pulled-photos').expect(200);
      expect(post.text).toContain(`src="${uploaded[0].url}"`);
    } finally {
      await pulled.close();
    }
  });

  it('never overwrites a file, and explains what is missing', async () => {
    const existing = join(dir, 'latest.db');
    const again = await pull(['--out', existing]);
    expect(again.code).toBe(1);
    expect(again.output).toContain('exists; move it away or choose another file with --out. Nothing was restored.');
    expect(notes(existing)).toEqual(['first', 'second']);

    const badTime = await pull(['--timestamp', 'yesterday', '--out', join(dir, 'x.db')]);
    expect(badTime.code).toBe(2);
    expect(badTime.output).toContain('--timestamp "yesterday" is not an ISO date and time');

    const notThere = await pull(['--images-for', join(dir, 'nothing.db')]);
    expect([notThere.code, notThere.output]).toEqual([
      2,
      expect.stringContaining('nothing.db does not exist: name a database file'),
    ]);
    const both = await pull(['--images-for', existing, '--out', join(dir, 'z.db')]);
    expect([both.code, both.output]).toEqual([
      2,
      expect.stringContaining('--images-for restores nothing: it takes no --out or --timestamp.'),
    ]);

    const noReplica = await pull(['--out', join(dir, 'y.db')], {});
    expect(noReplica.code).toBe(2);
    expect(noReplica.output).toContain('LITESTREAM_REPLICA_URL is not set.');
  });
});
