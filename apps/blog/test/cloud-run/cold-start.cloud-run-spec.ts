import { join } from 'node:path';

import { replicateIntoBucket, seedDatabaseFile } from './seed-bucket.js';
import { mib, report, type Scenario, startScenario } from './scenario.js';

/**
 * Scenario 1: a request reaches a service scaled to zero; the front proxy starts an instance of
 * the real image (restore from the bucket, Litestream, the app) and answers once it is ready.
 */
describe('cold start under the local Cloud Run', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  }, 120_000);

  async function firstOk(scenario: Scenario): Promise<number> {
    const started = Date.now();
    const res = await fetch(`${scenario.cloudRun.url}/`, { signal: AbortSignal.timeout(120_000) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    return Date.now() - started;
  }

  it('from an empty bucket: the first request is answered 200', async () => {
    s = await startScenario();
    const ms = await firstOk(s);
    const [instance] = s.cloudRun.reports();
    // Idle again: the front proxy took the CPU away.
    expect(s.cloudRun.current!.cgroups.frozen()).toBe(true);
    report('cold start, empty bucket', {
      firstOkMs: ms,
      probeReadyMs: instance.startMs,
      cpuStartingS: instance.cpuSeconds.starting.toFixed(2),
      memoryMiB: mib(s.cloudRun.current!.cgroups.memoryUsage()),
    });
    expect(ms).toBeLessThan(60_000);
  }, 180_000);

  it('from a bucket holding a 50 MB database: restored, then 200', async () => {
    s = await startScenario();
    const file = join(s.dir, 'seed.db');
    await seedDatabaseFile(file, 500, 50_000_000);
    await replicateIntoBucket(s.gcs, s.replicaUrl, file);
    s.gcs.requests.length = 0;
    const ms = await firstOk(s);
    const res = await fetch(`${s.cloudRun.url}/posts/post-3`);
    expect(res.status).toBe(200); // a seeded post: the restore really happened
    const [instance] = s.cloudRun.reports();
    const memory = s.cloudRun.current!.cgroups.memoryStat();
    report('cold start, 50 MB database', {
      firstOkMs: ms,
      probeReadyMs: instance.startMs,
      cpuStartingS: instance.cpuSeconds.starting.toFixed(2),
      memoryMiB: mib(s.cloudRun.current!.cgroups.memoryUsage()),
      tmpfsMiB: mib(memory.shmem ?? 0),
      bucketOps: s.cloudRun.meter.bucketOperations(),
    });
    expect(ms).toBeLessThan(60_000);
  }, 400_000);
});
