import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { ROOT } from './support/process.js';
import {
  expectedOfInstances,
  fastLitestreamConfig,
  generationsIn,
  inspectDatabase,
  isLeaseRequest,
  LEASE_CLI,
  leaseGeneration,
  leaseIn,
  REPLICA_PATH,
  restoreInto,
} from './support/rollout.js';

/** The writer lease's edge cases: simultaneous starts, a holder killed mid-save, abandoned generations. */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slugOf = (title: string) => title.toLowerCase().replace(/ /g, '-');

/** Answers that are neither an acknowledgement nor the promised 503 refusal: "status title". */
const serverErrors: string[] = [];

async function save(admin: HttpAdmin, title: string): Promise<'replicated' | 'pending' | 'refused' | 'error' | 'failed'> {
  let res: Awaited<ReturnType<HttpAdmin['createPost']>>;
  try {
    res = await admin.createPost(title, `Body of ${title}.`);
  } catch {
    return 'failed'; // the connection went away: the author was told nothing
  }
  if (res.status === 303 && res.location?.endsWith('replication=replicated')) return 'replicated';
  if (res.status === 303 && res.location?.endsWith('replication=pending')) return 'pending';
  if (res.status === 503) return 'refused';
  serverErrors.push(`${res.status} ${title} ${res.location ?? ''}`);
  return 'error';
}

const holderOf = (instance: Instance) => /took the writer lease as ([0-9a-f]+)/.exec(instance.output())?.[1];
const generationOf = (databasePath: string) =>
  readFileSync(join(databasePath, '..', '.blog.db-litestream', 'generation'), 'utf8').trim();

describe('the writer lease at the edges', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let config: string;
  const running: Instance[] = [];
  let stop = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-rollout-edges-'));
    gcs = await startGcsStandIn({ buckets: ['moved', 'twins', 'killed'] });
    config = fastLitestreamConfig(dir);
  });
  afterEach(() => {
    // No save, in any test, got an answer other than an acknowledgement or the promised refusal.
    expect(serverErrors.splice(0)).toEqual([]);
    stop = true;
    for (const instance of running.splice(0)) killHard(instance);
  });
  afterAll(async () => {
    // Only authenticated, known requests; the only 4xx: a lease not yet written or a lost race.
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const dbPath = (name: string) => join(dir, name, 'blog.db');
  const databaseOf = new Map<Instance, string>();

  async function start(name: string, bucket: string): Promise<Instance> {
    const instance = await startInstance({
      databasePath: dbPath(name),
      replicaUrl: `gcs://${bucket}/${REPLICA_PATH}`,
      env: { ...gcs.env, LITESTREAM_CONFIG: config },
    });
    running.push(instance);
    databaseOf.set(instance, dbPath(name));
    return instance;
  }

  async function loggedIn(instance: Instance): Promise<HttpAdmin> {
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    return admin;
  }

  it('refuses a save once the lease moved, writes nothing for it, keeps serving reads until SIGTERM and drops the view counts', async () => {
    const bucket = 'moved';
    const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
    const a = await start('moved-a', bucket);
    const admin = await loggedIn(a);
    expect(await save(admin, 'Before the move')).toBe('replicated');
    const read = await fetch(`${a.base}/posts/before-the-move`, { headers: { 'User-Agent': 'Mozilla/5.0 (reader)' } });
    expect(read.status).toBe(200); // one view counted, in memory

    // A newcomer takes the lease (what start.sh does first), without starting an app.
    const { stdout } = await run(process.execPath, [LEASE_CLI, 'take'], {
      env: { PATH: process.env.PATH ?? '', LITESTREAM_REPLICA_URL: replicaUrl, ...gcs.env },
    });
    const [holder, , restoreFrom] = stdout.trim().split(' ');
    expect(restoreFrom).toBe(generationOf(databaseOf.get(a)!));
    expect(leaseIn(gcs, bucket)).toMatchObject({ holder, generation: null, restoredFrom: restoreFrom });

    const refused = await admin.request('POST', '/admin/posts/new', {
      _csrf: admin.csrf,
      title: 'After the move',
      markdown: 'never stored',
      status: 'published',
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.text()).toContain('Not saved — the site is moving to a new version. Please retry in a few seconds.');
    // It does not exit by itself (Cloud Run would start its revision again, which would take the
    // lease back): it keeps serving reads and refusing writes until the platform's SIGTERM.
    await sleep(1_000);
    expect(a.child.exitCode).toBeNull();
    expect((await fetch(`${a.base}/`)).status).toBe(200);
    const again = await admin.request('POST', '/admin/posts/new', {
      _csrf: admin.csrf,
      title: 'Still after the move',
      markdown: 'never stored',
      status: 'published',
    });
    expect(again.status).toBe(503);
    a.child.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(a.output()).toContain('Dropped 1 view counts: this instance may not write');
    const left = inspectDatabase(databaseOf.get(a)!);
    expect(left.slugs.has('after-the-move')).toBe(false);
    expect(left.slugs.has('still-after-the-move')).toBe(false);
    expect(left.slugs.has('before-the-move')).toBe(true);
    expect(left.views).toBe(0);
  }, 60_000);

  it('lets exactly one of two instances started at the same moment write; the other refuses until SIGTERM', async () => {
    const bucket = 'twins';
    const seed = await start('seed', bucket);
    expect(await save(await loggedIn(seed), 'Before the twins')).toBe('replicated');
    seed.child.kill('SIGTERM');
    expect((await seed.exited).code).toBe(0);

    // Both read the lease before either writes it: one write fails its precondition (412).
    const isLease = isLeaseRequest;
    gcs.barrier(2, (r) => r.method === 'GET' && isLease(r) && !r.path.includes('alt=media'));
    const names = ['twin-a', 'twin-b'];
    const started = await Promise.allSettled(names.map((name) => start(name, bucket)));
    // Both listen, the loser too (it serves reads until SIGTERM, see main.ts): none exits before.
    expect(started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
    const up = started.flatMap((s, k) => (s.status === 'fulfilled' ? [{ instance: s.value, name: names[k] }] : []));
    expect(gcs.requests.filter((r) => r.method === 'POST' && isLease(r) && r.status === 412).length).toBeGreaterThanOrEqual(1);

    // Both get saves; only the lease holder may acknowledge any. The loser usually finds out while
    // it starts (it publishes its generation before it listens), so saves continue until each twin
    // has answered SAVES_AFTER_LOSS of them after one of the two logged the loss: "the loser
    // acknowledged nothing" is then asserted on real answers, never on none.
    const SAVES_AFTER_LOSS = 4;
    const acked = new Map<string, string[]>(up.map(({ name }) => [name, []]));
    /** Every answer each twin gave: the loser must refuse every one (503), never acknowledge or drop it. */
    const answers = new Map<string, string[]>(up.map(({ name }) => [name, []]));
    // A loser does not exit by itself (see main.ts): it is the one that logged the lease moved.
    const exited = new Set<string>();
    const lostIt = (instance: Instance) => instance.output().includes('The writer lease moved to a newer instance');
    const anyLost = () => up.some(({ instance }) => lostIt(instance));
    const deadline = Date.now() + 30_000;
    for (const { instance, name } of up) void instance.exited.then(() => exited.add(name));
    await Promise.all(
      up.map(async ({ instance, name }) => {
        const admin = await loggedIn(instance);
        for (let n = 0, afterLoss = 0; afterLoss < SAVES_AFTER_LOSS && Date.now() < deadline; n++) {
          const known = anyLost();
          const title = `${name} save ${n}`;
          const outcome = await save(admin, title);
          answers.get(name)!.push(outcome);
          if (outcome === 'replicated') acked.get(name)!.push(slugOf(title));
          if (known) afterLoss++;
          await sleep(30);
        }
      }),
    );
    console.log(`twins: answers ${JSON.stringify(Object.fromEntries(answers))}`);
    expect(exited).toEqual(new Set()); // nobody exited by itself
    const survivors = up.filter(({ instance }) => !lostIt(instance));
    expect(survivors).toHaveLength(1);
    const [{ instance: winner, name: winnerName }] = survivors;
    for (const { instance, name } of up.filter((u) => u.name !== winnerName)) {
      expect(acked.get(name)).toEqual([]);
      const loser = answers.get(name)!;
      expect(loser.length).toBeGreaterThanOrEqual(SAVES_AFTER_LOSS);
      expect(loser.filter((outcome) => outcome !== 'refused')).toEqual([]);
      instance.child.kill('SIGTERM'); // the platform stops the extra instance
      expect(await instance.exited).toEqual({ code: 0, signal: null });
    }
    // The lease names the survivor and the generation it writes.
    expect(await save(await loggedIn(winner), 'After the twins')).toBe('replicated');
    const lease = leaseIn(gcs, bucket)!;
    expect(lease.holder).toBe(holderOf(winner));
    expect(lease.generation).toBe(generationOf(databaseOf.get(winner)!));

    // Everything the winner acknowledged is in a fresh restore.
    winner.child.kill('SIGTERM');
    expect((await winner.exited).code).toBe(0);
    const restored = inspectDatabase(
      await restoreInto(gcs, `gcs://${bucket}/${REPLICA_PATH}`, join(dir, 'twins-restore', 'blog.db'), 'live'),
    );
    for (const slug of [...acked.get(winnerName)!, 'before-the-twins', 'after-the-twins'])
      expect(restored.slugs.has(slug)).toBe(true);
    expect(restored.partial).toEqual([]);
  }, 120_000);

  it('survives a holder SIGKILLed mid-save, and later restores pick the live generation, never the abandoned one', async () => {
    const bucket = 'killed';
    const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
    const a = await start('killed-a', bucket);
    const adminA = await loggedIn(a);
    stop = false;
    const acked: string[] = [];
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const title = `Killed W${w} N${n}`;
        const outcome = await save(adminA, title);
        if (outcome === 'replicated') acked.push(slugOf(title));
        if (outcome === 'failed') return;
      }
    };
    const writers = [writer(0), writer(1)];
    while (acked.length < 4) await sleep(20);
    await sleep(Math.random() * 150);
    killHard(a); // a lost VM: no final sync, no goodbye
    await Promise.all(writers);
    await a.exited;
    const abandoned = leaseIn(gcs, bucket)!.generation!;
    expect(abandoned).toBe(generationOf(databaseOf.get(a)!));

    const b = await start('killed-b', bucket);
    expect(b.output()).toContain(`restoring generation ${abandoned} (named by the writer lease)`);
    const adminB = await loggedIn(b);
    for (const slug of acked) expect((await fetch(`${b.base}/posts/${slug}`)).status).toBe(200);
    expect(await save(adminB, 'After the kill')).toBe('replicated');
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
    const inB = inspectDatabase(dbPath('killed-b'));
    expect(inB.partial).toEqual([]); // the save cut short by the kill is absent or whole
    const live = leaseIn(gcs, bucket)!.generation!;
    expect(live).not.toBe(abandoned);
    expect(await leaseGeneration(gcs, replicaUrl)).toBe(live);

    // A late upload into the abandoned generation (a frozen instance waking up, a final sync) makes
    // it the one with the latest end time, which is all a plain `litestream restore` looks at...
    expect(generationsIn(gcs, bucket).sort()).toEqual([abandoned, live].sort());
    for (const [name, data] of gcs.objects(bucket)) {
      if (name.includes(`/generations/${abandoned}/`)) gcs.putObject(bucket, name, data);
    }
    const plain = inspectDatabase(await restoreInto(gcs, replicaUrl, join(dir, 'plain-restore', 'blog.db'), 'plain'));
    expect(plain.slugs.has('after-the-kill')).toBe(false);
    // ...while the lease-aware restore, and the next instance's start, take the live generation.
    const fresh = inspectDatabase(await restoreInto(gcs, replicaUrl, join(dir, 'live-restore', 'blog.db'), 'live'));
    expect(fresh.slugs.has('after-the-kill')).toBe(true);
    for (const slug of acked) expect(fresh.slugs.has(slug)).toBe(true);
    // npm run db:pull restores through the same lease-aware choice.
    const pulled = join(dir, 'pulled', 'blog.db');
    await run(process.execPath, [join(ROOT, 'dist', 'apps', 'blog', 'src', 'cli', 'db-pull.js'), '--out', pulled], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, LITESTREAM_REPLICA_URL: replicaUrl, ...gcs.env },
      timeout: 30_000,
    });
    expect(inspectDatabase(pulled).slugs.has('after-the-kill')).toBe(true);
    const c = await start('killed-c', bucket);
    expect(c.output()).toContain(`restoring generation ${live} (named by the writer lease)`);
    expect((await fetch(`${c.base}/posts/after-the-kill`)).status).toBe(200);
    c.child.kill('SIGTERM');
    expect((await c.exited).code).toBe(0);
  }, 120_000);
});
