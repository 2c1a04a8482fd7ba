import { join } from 'node:path';

import { replicateIntoBucket, seedDatabaseFile } from './seed-bucket.js';
import { outcomeOf, report, restoredSlugs, type Scenario, slugOf, startScenario } from './scenario.js';

/**
 * Scenario 2: request-based billing. The instance is frozen whenever no request is in flight, so
 * anything the first save waits for (the writer lease's publish, Litestream's first snapshot)
 * must happen while a request holds the CPU. The first save after a cold start must be answered
 * "replicated": not 503 ("the site is moving"), not pending.
 */
describe('the first save after a cold start, frozen between requests', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it.each([
    ['an empty bucket', 0],
    ['a 50 MB database', 50_000_000],
  ])(
    'from %s: is answered replicated and is in the bucket',
    async (what, bytes) => {
      await s?.close();
      s = await startScenario();
      if (bytes > 0) {
        const file = join(s.dir, 'seed.db');
        await seedDatabaseFile(file, 500, bytes);
        await replicateIntoBucket(s.gcs, s.replicaUrl, file);
      }
      const home = await fetch(`${s.cloudRun.url}/`);
      expect(home.status).toBe(200);
      const instance = s.cloudRun.current!;
      expect(instance.cgroups.frozen()).toBe(true);
      const admin = await s.admin();
      // Frozen between the login and the save, as a real author's think time would leave it.
      expect(instance.cgroups.frozen()).toBe(true);
      const title = 'First save after a cold start';
      const started = Date.now();
      const { status, location } = await admin.createPost(title, `Body of ${title}.`);
      const saveMs = Date.now() - started;
      const outcome = outcomeOf(status, location);
      // The page the author lands on: no warning that the save is not yet safe.
      const html = location ? await (await admin.request('GET', location)).text() : '';
      report(`first save after a cold start from ${what}`, { outcome, status, saveMs, warning: /role="alert"/.test(html) });
      expect(outcome).toBe('replicated');
      expect(html).not.toMatch(/role="alert"/);
      expect(await restoredSlugs(s, 'first-save')).toContain(slugOf(title));
    },
    400_000,
  );
});
