import { report, restoredSlugs, save, type SaveOutcome, type Scenario, sleep, slugOf, startScenario } from './scenario.js';

/**
 * Scenario 5: a rollout. The new revision's instance starts while the old one serves (maxScale 1
 * is exceeded briefly, as Cloud Run does), takes the writer lease, gets the traffic when its
 * startup probe passes; the old one, having lost the lease, refuses writes but keeps serving
 * until the SIGTERM that follows the traffic (it must not exit by itself). An author saves
 * throughout (the instance frozen between saves). No acknowledged save may be lost, and the
 * platform must not start the old revision again (it would take the lease back).
 */
describe('a rollout with two revisions overlapping', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('loses no acknowledged save and does not bring the old revision back', async () => {
    s = await startScenario();
    const admin = await s.admin();
    const first = s.cloudRun.current!;
    const outcomes = new Map<string, SaveOutcome>();
    let stop = false;
    let n = 0;
    const author = (async () => {
      while (!stop) {
        const title = `Rollout save ${++n}`;
        outcomes.set(title, await save(admin, title));
        await sleep(150); // think time: frozen
      }
    })();
    await sleep(1_500);
    const started = Date.now();
    const { next, previous, retired } = await s.cloudRun.deploy();
    const trafficMovedMs = Date.now() - started;
    await retired;
    await sleep(1_500);
    stop = true;
    await author;

    const acknowledged = [...outcomes].filter(([, o]) => o === 'replicated' || o === 'pending').map(([t]) => slugOf(t));
    const restored = await restoredSlugs(s, 'after-rollout');
    const lost = acknowledged.filter((slug) => !restored.has(slug));
    const reports = s.cloudRun.reports();
    const oldRevision = first.options.revision;
    const oldInstances = reports.filter((r) => r.revision === oldRevision);
    const counts = { replicated: 0, pending: 0, refused: 0, failed: 0 };
    for (const o of outcomes.values()) counts[o]++;
    const old = previous!.report();
    report('rollout', {
      saves: counts,
      lost: lost.length,
      trafficMovedMs,
      oldRevisionInstances: oldInstances.length,
      oldExit: old.exit,
      oldSigkilled: old.sigkilled,
      oldShutdownMs: old.shutdownMs,
      newState: next.state,
    });
    expect(lost).toEqual([]);
    expect(oldInstances.length).toBe(1);
    expect(previous).toBe(first);
    expect(old.sigkilled).toBe(false);
    expect(next.state).toBe('ready');
    expect(counts.failed).toBe(0);
  }, 300_000);
});
