import { report, restoredSlugs, save, type SaveOutcome, type Scenario, sleep, slugOf, startScenario } from './scenario.js';

/**
 * Scenario 4: Cloud Run's SIGTERM arrives while saves are in flight, after saves that left the
 * instance frozen between them. Every acknowledged save survives in the bucket; the instance is
 * gone within the 10 s grace period, by itself (never SIGKILLed).
 */
describe('SIGTERM with saves in flight', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('loses no acknowledged save and exits within 10 s without SIGKILL', async () => {
    s = await startScenario();
    const admin = await s.admin();
    const outcomes = new Map<string, SaveOutcome>();
    // Saves with think time between them: the instance is frozen in the pauses.
    for (let i = 1; i <= 3; i++) {
      const title = `Before the shutdown ${i}`;
      outcomes.set(title, await save(admin, title));
      await sleep(300);
      expect(s.cloudRun.current!.cgroups.frozen()).toBe(true);
    }
    // Three saves at once, and SIGTERM while they are in flight.
    const inFlight = [1, 2, 3].map((i) => {
      const title = `During the shutdown ${i}`;
      return save(admin, title).then((outcome) => outcomes.set(title, outcome));
    });
    await sleep(30);
    const stopped = s.cloudRun.scaleToZero();
    await Promise.all(inFlight);
    const instance = await stopped;

    const acknowledged = [...outcomes].filter(([, o]) => o === 'replicated' || o === 'pending').map(([t]) => slugOf(t));
    const restored = await restoredSlugs(s, 'after-sigterm');
    const lost = acknowledged.filter((slug) => !restored.has(slug));
    report('SIGTERM with saves in flight', {
      outcomes: Object.fromEntries(outcomes),
      shutdownMs: instance!.shutdownMs,
      sigkilled: instance!.sigkilled,
      exit: instance!.exit,
      lost: lost.length,
      cpuStoppingS: instance!.cpuSeconds.stopping.toFixed(2),
    });
    expect(lost).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    expect(instance!.sigkilled).toBe(false);
    expect(instance!.shutdownMs).toBeLessThan(10_000);
    expect(instance!.exit).toEqual({ code: 0, signal: null });
  }, 180_000);
});
