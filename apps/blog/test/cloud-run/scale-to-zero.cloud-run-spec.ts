import type { HttpAdmin } from '../support/http-admin.js';
import { Meter } from './meter.js';
import { mib, report, restoredSlugs, save, type SaveOutcome, type Scenario, sleep, slugOf, startScenario } from './scenario.js';

/**
 * Scenario 3: a blog that scales to zero between visits. Each cycle: a cold start (restore),
 * a few reads, one save, idle (frozen), SIGTERM. Every cold start makes Litestream upload a new
 * generation, so the bucket only stays bounded if old generations are removed within such a short
 * life. CLOUD_RUN_CYCLES sets the count (200 by hand; CI's value is in package.json's script).
 */
/** Litestream generations in the service's replica (gcs://BUCKET/inkstone.db). */
function generationCount(s: Scenario): number {
  const names = new Set<string>();
  for (const key of s.gcs.objects(s.bucket).keys()) {
    const match = /^inkstone\.db\/generations\/([0-9a-f]{16})\//.exec(key);
    if (match) names.add(match[1]);
  }
  return names.size;
}

/** Objects of the replica (Litestream's generations), not of the media store beside it. */
function replicaObjectCount(s: Scenario): number {
  return [...s.gcs.objects(s.bucket).keys()].filter((key) => key.startsWith('inkstone.db/')).length;
}

const CYCLES = Number(process.env.CLOUD_RUN_CYCLES ?? 200);
const SAMPLE_EVERY = Math.max(1, Math.round(CYCLES / 10));

describe(`${CYCLES} scale-to-zero cycles`, () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('keep the bucket bounded and every acknowledged save', async () => {
    s = await startScenario();
    const outcomes = new Map<string, SaveOutcome>();
    let admin: HttpAdmin | null = null;
    const started = Date.now();
    s.cloudRun.meter.sampleStorage('start');
    const generations = [0];
    const replicaObjects = [0];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const home = await fetch(`${s.cloudRun.url}/`);
      await home.arrayBuffer();
      expect(home.status).toBe(200);
      for (const path of ['/tags', '/feed.xml']) await (await fetch(`${s.cloudRun.url}${path}`)).arrayBuffer();
      // The session cookie outlives instances (signed, its secret from Secret Manager); log in once.
      admin ??= await s.admin();
      const title = `Cycle ${cycle}`;
      outcomes.set(title, await save(admin, title));
      await sleep(200); // idle: frozen
      const instance = await s.cloudRun.scaleToZero();
      expect(instance!.sigkilled).toBe(false);
      if (cycle % SAMPLE_EVERY === 0 || cycle === CYCLES) {
        s.cloudRun.meter.sampleStorage(`cycle ${cycle}`);
        generations.push(generationCount(s));
        replicaObjects.push(replicaObjectCount(s));
      }
    }
    const elapsedS = (Date.now() - started) / 1000;
    const acknowledged = [...outcomes].filter(([, o]) => o === 'replicated' || o === 'pending').map(([t]) => slugOf(t));
    const restored = await restoredSlugs(s, 'after-cycles');
    const lost = acknowledged.filter((slug) => !restored.has(slug));
    const samples = s.cloudRun.meter.storage;
    const totals = Meter.instances(s.cloudRun.reports());
    const counts = { replicated: 0, pending: 0, refused: 0, failed: 0 };
    for (const o of outcomes.values()) counts[o]++;
    report(`${CYCLES} scale-to-zero cycles`, {
      secondsPerCycle: (elapsedS / CYCLES).toFixed(2),
      saves: counts,
      lost: lost.length,
      curve: samples
        .map(
          (x, i) =>
            `${x.label.replace('cycle ', '')}:${x.objects}obj(${replicaObjects[i]} replica)/${generations[i]}gen/${mib(x.bytes)}MiB`,
        )
        .join(','),
      deletedMiB: mib(samples.at(-1)!.deletedBytes),
      bucketOps: s.cloudRun.meter.bucketOperations(),
      cpuS: {
        starting: totals.cpu.starting.toFixed(1),
        serving: totals.cpu.serving.toFixed(1),
        stopping: totals.cpu.stopping.toFixed(1),
      },
      requests: s.cloudRun.meter.requests,
    });
    // Bounded: the second half of the run sets no new high — the last sample holds no more replica
    // objects and no more Litestream generations than the most seen in the first half. (Bytes grow
    // with the saved posts themselves, and so do the media objects beside the replica: a social card
    // per post, the dashboard drawing those of the seeded posts. Reported, not bounded.)
    const half = samples.filter((x) => x.label !== 'start' && Number(x.label.replace('cycle ', '')) <= CYCLES / 2);
    const firstHalf = {
      objects: Math.max(...replicaObjects.slice(1, half.length + 1)),
      generations: Math.max(...generations.slice(1, half.length + 1)),
    };
    const last = { objects: replicaObjects.at(-1)!, generations: generations.at(-1)! };
    const problems = [
      ...lost.map((slug) => `acknowledged save ${slug} is not in the bucket`),
      ...(counts.replicated === CYCLES ? [] : [`${CYCLES - counts.replicated} saves were not answered "replicated"`]),
      ...(last.objects <= firstHalf.objects
        ? []
        : [`replica objects: ${last.objects} at the end, at most ${firstHalf.objects} in the first half`]),
      ...(last.generations <= firstHalf.generations
        ? []
        : [`generations: ${last.generations} at the end, at most ${firstHalf.generations} in the first half`]),
    ];
    expect(problems).toEqual([]);
  }, 3_600_000);
});
