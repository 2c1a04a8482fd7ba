import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { InstanceFreezer } from './support/freezer.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { expectedOfInstances, inspectDatabase, leaseIn, REPLICA_PATH, restoreInto } from './support/rollout.js';
import { type SlowLink, startSlowLink } from './support/slow-link.js';

const MB = 1024 * 1024;

/** Images an author uploaded over time (random bytes: Litestream's lz4 cannot shrink them). */
function addImages(databasePath: string, megabytes: number): void {
  const db = new Database(databasePath);
  const insert = db.prepare(
    `INSERT INTO media (filename, content_type, size, sha256, width, height, data, created_at)
     VALUES (?, 'image/jpeg', ?, ?, 10, 10, ?, ?)`,
  );
  for (let n = 0; n < megabytes; n++) {
    const data = randomBytes(MB);
    insert.run(`photo-${n}.jpg`, data.length, randomBytes(32).toString('hex'), data, Date.now());
  }
  db.close();
}

/**
 * Request-based billing: after the startup probe passes, the instance has CPU only while a request
 * is in flight. Whatever the writer lease still needs then (Litestream's first snapshot of the new
 * generation, the lease write) stalls, and the author's first save must not pay for it.
 */
describe('the first save after a cold start, frozen between requests', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let link: SlowLink;
  const running: Instance[] = [];
  let freezer: InstanceFreezer | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-first-save-'));
    gcs = await startGcsStandIn({ buckets: ['cold'] });
    link = await startSlowLink(gcs);
  });
  afterEach(async () => {
    await freezer?.remove().catch(() => undefined);
    freezer = null;
    for (const instance of running.splice(0)) killHard(instance);
  });
  afterAll(async () => {
    await link.stop();
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bucket = 'cold';
  const dbPath = (name: string) => join(dir, name, 'blog.db');
  const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
  async function start(name: string, env: Record<string, string> = {}): Promise<Instance> {
    const instance = await startInstance({
      databasePath: dbPath(name),
      replicaUrl,
      env: { ...gcs.env, STORAGE_EMULATOR_HOST: link.host, ...env },
      readyTimeoutMs: 60_000,
    });
    running.push(instance);
    return instance;
  }

  async function saveOne(instance: Instance, title: string): Promise<void> {
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    expect((await admin.createPost(title, `Body of ${title}.`)).location).toMatch(/replication=replicated$/);
  }

  it('is answered "replicated" although the instance was frozen from the moment it answered its probe', async () => {
    // A blog in the bucket, written by an earlier instance that scaled to zero: one post, and
    // 24 MB of images, so that a new generation's first snapshot takes a while to upload.
    const seed = await start('seed');
    await saveOne(seed, 'Before the cold start');
    seed.child.kill('SIGTERM');
    expect(await seed.exited).toEqual({ code: 0, signal: null });
    addImages(dbPath('seed'), 24);
    rmSync(join(dir, 'seed', '.blog.db-litestream'), { recursive: true, force: true });
    const again = await start('seed');
    await saveOne(again, 'With the images');
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });

    // The cold start, on a link that uploads 2 MB/s: the new generation's snapshot takes ~12 s of CPU.
    link.uploadBytesPerSecond = 2 * MB;
    // The production bound on a save's wait (the tests' default is longer, for a loaded machine).
    const cold = await start('cold', { REPLICATION_WAIT_MS: '5000' });
    // The startup probe has passed: from now on, no CPU but for the author's requests.
    freezer = InstanceFreezer.create('first-save', cold.child.pid!);
    await freezer.freeze();
    await new Promise((r) => setTimeout(r, 3_000)); // the author arrives a little later

    const admin = new HttpAdmin(cold.base);
    await freezer.during(() => admin.login('admin', ADMIN_PASSWORD));
    const saved = await freezer.during(() =>
      admin.createPost('First after the cold start', 'Saved while frozen between requests.'),
    );
    expect(saved.status).toBe(303);
    expect(saved.location).toMatch(/^\/admin\/posts\/\d+\/edit\?notice=published&replication=replicated$/);
    // The lease names the generation this instance writes, so a successor restores this save.
    expect(leaseIn(gcs, bucket)!.generation).toBe(
      readFileSync(join(dir, 'cold', '.blog.db-litestream', 'generation'), 'utf8').trim(),
    );

    await freezer.thaw();
    link.uploadBytesPerSecond = 0;
    cold.child.kill('SIGTERM');
    expect(await cold.exited).toEqual({ code: 0, signal: null });
    const restored = inspectDatabase(await restoreInto(gcs, replicaUrl, join(dir, 'restored', 'blog.db'), 'live'));
    expect(restored.slugs).toEqual(new Set(['before-the-cold-start', 'with-the-images', 'first-after-the-cold-start']));
  }, 180_000);

  it('sent the bucket nothing it would refuse (no unknown route, no unexpected 4xx, no anonymous Node client)', () => {
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
  });
});
