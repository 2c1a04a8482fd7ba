import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ADMIN_PASSWORD, type Instance, killHard, LITESTREAM_BIN, START_SH, startInstance } from './support/container.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { ROOT } from './support/process.js';
import { expectedOfInstances, inspectDatabase } from './support/rollout.js';

const run = promisify(execFile);

/** Restores the replica into a new file with the real binary, the way start.sh does. */
async function restoreFresh(dir: string, replicaUrl: string): Promise<string> {
  const target = join(dir, `restore-${Date.now()}-${Math.random().toString(36).slice(2)}`, 'blog.db');
  mkdirSync(join(target, '..'), { recursive: true });
  await run(LITESTREAM_BIN, ['restore', '-o', target, replicaUrl]);
  return target;
}

const slugOf = (location: string | null) => (location ? /\/admin\/posts\/(\d+)\/edit/.exec(location)?.[1] : undefined);

describe('the container path: start.sh, Litestream and the app', () => {
  let dir: string;
  let replicaUrl: string;
  const running: Instance[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-durability-'));
    replicaUrl = `file://${join(dir, 'replica')}`;
  });
  afterEach(() => {
    for (const instance of running.splice(0)) killHard(instance);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start(name: string, env: Record<string, string> = {}): Promise<{ instance: Instance; databasePath: string }> {
    const databasePath = join(dir, name, 'data', 'blog.db');
    const instance = await startInstance({ databasePath, replicaUrl, env });
    running.push(instance);
    return { instance, databasePath };
  }

  it('starts fresh on an empty replica, replicates admin saves, exits 0 on SIGTERM, and restores them all elsewhere', async () => {
    const { instance, databasePath } = await start('first');
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    const saved: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await admin.createPost(`Kept ${i}`, `Post number ${i}.`);
      expect(res.status).toBe(303);
      // Each save answered only once Litestream confirmed it on the replica.
      expect(res.location).toMatch(/replication=replicated$/);
      saved.push(`kept-${i}`);
    }
    const page = await admin.request('GET', (await admin.createPost('Last', 'x')).location!.replace(instance.base, ''));
    expect(await page.text()).toContain('Replicated to the backup bucket.');
    saved.push('last');
    instance.child.kill('SIGTERM');
    expect(await instance.exited).toEqual({ code: 0, signal: null });
    expect(inspectDatabase(databasePath).integrity).toBe('ok');

    // A new instance in a new, empty directory: start.sh restores, and every post is served.
    const second = await start('second');
    expect(second.instance.output()).toContain('start.sh: no database');
    expect(second.instance.output()).toContain('start.sh: restored');
    for (const slug of saved) expect((await fetch(`${second.instance.base}/posts/${slug}`)).status).toBe(200);
    second.instance.child.kill('SIGTERM');
    expect((await second.instance.exited).code).toBe(0);
    const restored = inspectDatabase(second.databasePath);
    expect(restored.integrity).toBe('ok');
    for (const slug of saved) expect(restored.slugs.has(slug)).toBe(true);
    // start.sh itself never prints the replica URL.
    expect(
      second.instance
        .output()
        .split('\n')
        .filter((l) => l.startsWith('start.sh:'))
        .join('\n'),
    ).not.toContain(replicaUrl);
  }, 60_000);

  it('loses no acknowledged save over 20 rounds of concurrent writes ended by SIGTERM at a random moment', async () => {
    const acknowledged = new Set<string>();
    const unexpected: string[] = [];
    const perRound: number[] = [];
    let slowestExitMs = 0;
    let round = 0;
    for (; round < 20; round++) {
      const { instance } = await start(`round-${round}`);
      const admin = new HttpAdmin(instance.base);
      await admin.login('admin', ADMIN_PASSWORD);
      let stop = false;
      const writer = async (w: number) => {
        for (let n = 0; !stop; n++) {
          const title = `r${round} w${w} n${n}`;
          try {
            const res = await admin.createPost(title, 'under fire');
            if (res.status === 303 && slugOf(res.location)) acknowledged.add(title.replace(/ /g, '-'));
            // A draining instance may refuse (503); anything else is a failed save.
            else if (res.status !== 503) unexpected.push(`${res.status} ${title}`);
          } catch {
            return; // the server went away mid-request: not acknowledged
          }
        }
      };
      const before = acknowledged.size;
      const writers = [0, 1, 2].map(writer);
      // SIGTERM at a random moment once writes are flowing (a slow machine must not make a round empty).
      for (const deadline = Date.now() + 15_000; acknowledged.size === before && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 20));
      }
      // Every round must have writes before its SIGTERM, or it tests nothing.
      expect(acknowledged.size).toBeGreaterThan(before);
      await new Promise((r) => setTimeout(r, Math.random() * 900));
      const termAt = Date.now();
      instance.child.kill('SIGTERM');
      const exit = await instance.exited;
      slowestExitMs = Math.max(slowestExitMs, Date.now() - termAt);
      stop = true;
      await Promise.all(writers);
      perRound.push(acknowledged.size - before);
      expect(exit).toEqual({ code: 0, signal: null });
    }
    const restored = inspectDatabase(await restoreFresh(dir, replicaUrl));
    expect(restored.integrity).toBe('ok');
    const lost = [...acknowledged].filter((slug) => !restored.slugs.has(slug));
    console.log(
      `durability: ${round} SIGTERM rounds, ${acknowledged.size} acknowledged saves (per round ${perRound.join(' ')}), ` +
        `${lost.length} lost, slowest exit ${slowestExitMs} ms`,
    );
    expect(unexpected).toEqual([]);
    expect(perRound).toHaveLength(20);
    expect(Math.min(...perRound)).toBeGreaterThanOrEqual(1);
    expect(lost).toEqual([]);
  }, 480_000); // 20 starts and drains: ~4 min on a loaded 2-core machine

  it('loses no save acknowledged as replicated when the whole instance is SIGKILLed', async () => {
    const replicated = new Set<string>();
    const pendingOnly = new Set<string>();
    const unexpected: string[] = [];
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const { instance } = await start(`kill-${round}`);
      const admin = new HttpAdmin(instance.base);
      await admin.login('admin', ADMIN_PASSWORD);
      let stop = false;
      const writer = async (w: number) => {
        for (let n = 0; !stop; n++) {
          const title = `k${round} w${w} n${n}`;
          try {
            const res = await admin.createPost(title, 'killed');
            if (res.status !== 303) {
              unexpected.push(`${res.status} ${title}`);
              continue;
            }
            (res.location?.endsWith('replication=replicated') ? replicated : pendingOnly).add(title.replace(/ /g, '-'));
          } catch {
            return;
          }
        }
      };
      const before = replicated.size;
      const writers = [0, 1, 2].map(writer);
      // Kill only once this round has had saves acknowledged, then at a random moment among the next ones.
      for (const deadline = Date.now() + 15_000; replicated.size < before + 2 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(replicated.size).toBeGreaterThanOrEqual(before + 2); // this round had saves to lose
      await new Promise((r) => setTimeout(r, Math.random() * 500));
      killHard(instance);
      stop = true;
      await Promise.all(writers);
      await instance.exited;
    }
    const restored = inspectDatabase(await restoreFresh(dir, replicaUrl));
    const lostReplicated = [...replicated].filter((s) => !restored.slugs.has(s));
    const lostPending = [...pendingOnly].filter((s) => !restored.slugs.has(s));
    console.log(
      `durability: ${rounds} SIGKILL rounds, ${replicated.size} saves acknowledged as replicated (${lostReplicated.length} lost), ` +
        `${pendingOnly.size} acknowledged as pending (${lostPending.length} lost)`,
    );
    expect(unexpected).toEqual([]);
    expect(replicated.size).toBeGreaterThanOrEqual(2 * rounds);
    expect(lostReplicated).toEqual([]);
  }, 120_000);
});

describe('the container path against the Cloud Storage stand-in', () => {
  let dir: string;
  let gcs: GcsStandIn;
  const running: Instance[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-gcs-'));
    gcs = await startGcsStandIn({ buckets: ['inkstone-test'] });
  });
  afterAll(async () => {
    for (const instance of running.splice(0)) killHard(instance);
    // Only authenticated, known requests; the only 4xx: the lease read before the first start wrote it.
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates saves to gcs:// with the real litestream.yml and restores them into a new instance', async () => {
    const env = gcs.env;
    const replicaUrl = 'gcs://inkstone-test/blog/inkstone.db';
    const first = await startInstance({ databasePath: join(dir, 'a', 'blog.db'), replicaUrl, env });
    running.push(first);
    const admin = new HttpAdmin(first.base);
    await admin.login('admin', ADMIN_PASSWORD);
    for (let i = 0; i < 3; i++)
      expect((await admin.createPost(`Cloud ${i}`, 'to the bucket')).location).toMatch(/replication=replicated$/);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(
      [...gcs.objects('inkstone-test').keys()].some((k) => /^blog\/inkstone\.db\/generations\/\w+\/snapshots\//.test(k)),
    ).toBe(true);

    const second = await startInstance({ databasePath: join(dir, 'b', 'blog.db'), replicaUrl, env });
    running.push(second);
    expect(second.output()).toContain('start.sh: restored');
    for (let i = 0; i < 3; i++) expect((await fetch(`${second.base}/posts/cloud-${i}`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});

describe('when the bucket stops answering', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let instance: Instance | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-gcs-down-'));
    gcs = await startGcsStandIn({ buckets: ['inkstone-test'] });
  });
  afterAll(async () => {
    if (instance) killHard(instance);
    // The outage's 503s are injected faults; nothing else may fail. Litestream retries its uploads
    // through the outage, so the kill above can cut one whose body was still being sent (the
    // stand-in reads a body before it answers): a reset from our kill, not from the bucket.
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a save after the bounded wait and tells the author it is not yet replicated', async () => {
    instance = await startInstance({
      databasePath: join(dir, 'blog.db'),
      replicaUrl: 'gcs://inkstone-test/blog/inkstone.db',
      env: { ...gcs.env, REPLICATION_WAIT_MS: '1500' },
    });
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    // The instance takes saves once its writer lease names its generation (its first snapshot is up).
    const lease = () => gcs.object('inkstone-test', 'blog/inkstone.db.writer-lease.json')?.data.toString() ?? '';
    for (const deadline = Date.now() + 20_000; !/"generation": "[0-9a-f]{16}"/.test(lease()) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 50));
    }
    gcs.failNext(Infinity, { status: 503 });
    const started = Date.now();
    const saved = await admin.createPost('Stuck locally', 'the bucket is down');
    expect(saved.status).toBe(303);
    expect(saved.location).toMatch(/replication=pending$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const page = await (await admin.request('GET', saved.location!.replace(instance.base, ''))).text();
    expect(page).toContain('not yet confirmed in the backup bucket');
    // The save itself is there for readers.
    expect((await fetch(`${instance.base}/posts/stuck-locally`)).status).toBe(200);
  }, 60_000);
});

describe('start.sh refuses to start empty when the replica cannot be read', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-badreplica-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function runStartSh(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    try {
      const { stdout, stderr } = await run('sh', [START_SH], {
        cwd: ROOT,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH ?? '',
          APP_DIR: ROOT,
          LITESTREAM_BIN,
          LITESTREAM_CONFIG: join(ROOT, 'litestream.yml'),
          NODE_BIN: '/bin/false', // the app must never be reached
          ...env,
        },
      });
      return { code: 0, output: stdout + stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  }

  it('fails loudly on a corrupt replica and creates no database', async () => {
    const replica = join(dir, 'replica', 'generations', '0123456789abcdef');
    mkdirSync(join(replica, 'snapshots'), { recursive: true });
    mkdirSync(join(replica, 'wal'), { recursive: true });
    writeFileSync(join(replica, 'snapshots', '00000000.snapshot.lz4'), 'this is not an lz4 snapshot');
    const databasePath = join(dir, 'data', 'blog.db');
    const result = await runStartSh({ DATABASE_PATH: databasePath, LITESTREAM_REPLICA_URL: `file://${join(dir, 'replica')}` });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('refusing to start on an empty database');
    expect(existsSync(databasePath)).toBe(false);
  });

  it('bounds a restore from an unreachable bucket and fails instead of hanging', async () => {
    const databasePath = join(dir, 'data', 'blog.db');
    const started = Date.now();
    const result = await runStartSh({
      DATABASE_PATH: databasePath,
      LITESTREAM_REPLICA_URL: 'gcs://no-such-bucket/blog/inkstone.db',
      STORAGE_EMULATOR_HOST: '127.0.0.1:9', // nothing listens there
      RESTORE_TIMEOUT: '3',
      LEASE_TIMEOUT: '3',
    });
    expect(result.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    // With a gcs:// replica the writer lease is taken first, under its own bound.
    expect(result.output).toContain('could not take the writer lease (failed or timed out after 3s)');
    expect(existsSync(databasePath)).toBe(false);
  });
});
