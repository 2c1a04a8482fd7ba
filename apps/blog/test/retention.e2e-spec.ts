import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KEEP_GENERATIONS } from '../src/durability/writer-lease/prune-generations.js';
import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { expectedOfInstances, generationsIn, inspectDatabase, leaseIn, REPLICA_PATH, restoreInto } from './support/rollout.js';

/**
 * Scale to zero: every cold start restores, starts a new Litestream generation and uploads a full
 * snapshot of it; no instance lives the hour Litestream 0.3.13 waits before its first retention run.
 * The bucket must not grow with the number of starts, and nothing acknowledged may go.
 */
const CYCLES = Number(process.env.RETENTION_CYCLES ?? 10);

describe('the bucket across many cold starts', () => {
  let dir: string;
  let gcs: GcsStandIn;
  const running: Instance[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-retention-'));
    gcs = await startGcsStandIn({ buckets: ['scale-to-zero'] });
  });
  afterEach(() => {
    for (const instance of running.splice(0)) killHard(instance);
  });
  afterAll(async () => {
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bucket = 'scale-to-zero';
  const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
  async function start(name: string): Promise<Instance> {
    const instance = await startInstance({
      databasePath: join(dir, name, 'blog.db'),
      replicaUrl,
      env: gcs.env,
    });
    running.push(instance);
    return instance;
  }

  const stored = () => {
    let bytes = 0;
    let objects = 0;
    for (const [name, data] of gcs.objects(bucket)) {
      if (!name.startsWith(`${REPLICA_PATH}/`)) continue;
      objects++;
      bytes += data.length;
    }
    return { objects, bytes, generations: generationsIn(gcs, bucket).length };
  };

  it(
    `stays bounded over ${CYCLES} start–save–SIGTERM cycles and restores every acknowledged save`,
    async () => {
      const acknowledged: string[] = [];
      const curve: ReturnType<typeof stored>[] = [];
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const instance = cycle === 0 ? await start('cycle-0') : await start(`cycle-${cycle}`);
        const admin = new HttpAdmin(instance.base);
        await admin.login('admin', ADMIN_PASSWORD);
        const res = await admin.createPost(`Cycle ${cycle}`, `Saved in cold start ${cycle}.`);
        if (res.location?.endsWith('replication=replicated')) acknowledged.push(`cycle-${cycle}`);
        expect((await fetch(`${instance.base}/posts/cycle-${cycle}`)).status).toBe(200);
        instance.child.kill('SIGTERM');
        // Cloud Run's SIGKILL comes 10 s after SIGTERM; an instance still running at twice that hangs.
        const hung = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000).unref());
        expect(await Promise.race([instance.exited, hung])).toEqual({ code: 0, signal: null });
        curve.push(stored());
      }
      console.log(
        `retention: after each cold start (generations/objects/bytes): ${curve.map((c) => `${c.generations}/${c.objects}/${c.bytes}`).join(' ')}`,
      );
      expect(acknowledged.length).toBe(CYCLES);
      // The live generation, the one it was restored from, KEEP_GENERATIONS more; and the last
      // instance's pruning ran before its SIGTERM.
      const bound = KEEP_GENERATIONS + 2;
      for (const point of curve) expect(point.generations).toBeLessThanOrEqual(bound);
      // Once the generations reach their bound, bytes and objects stop growing with the starts (the
      // objects per generation depend on how many writes a cycle makes, so the bound is measured).
      const atBound = curve[Math.min(bound, curve.length) - 1];
      expect(Math.max(...curve.map((c) => c.bytes))).toBeLessThanOrEqual(atBound.bytes * 1.5);
      expect(Math.max(...curve.map((c) => c.objects))).toBeLessThanOrEqual(atBound.objects * 1.5);
      // The generation the lease names is there, and holds everything acknowledged.
      expect(generationsIn(gcs, bucket)).toContain(leaseIn(gcs, bucket)!.generation);
      const restored = inspectDatabase(await restoreInto(gcs, replicaUrl, join(dir, 'restored', 'blog.db'), 'live'));
      for (const slug of acknowledged) expect(restored.slugs.has(slug)).toBe(true);
      expect(restored.integrity).toBe('ok');
    },
    Math.max(600_000, CYCLES * 8_000),
  );

  it('sent the bucket nothing it would refuse (no unknown route, no unexpected 4xx, no anonymous Node client)', () => {
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
  });
});
