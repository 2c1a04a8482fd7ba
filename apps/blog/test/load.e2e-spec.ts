import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { runLoad } from './support/load.js';
import { ROOT } from './support/process.js';

/** ≈10 s in the suite; `npm run test:load` runs the full 60 s (LOAD_SECONDS, LOAD_READERS override). */
const seconds = Number(process.env.LOAD_SECONDS ?? 10);
const readers = Number(process.env.LOAD_READERS ?? 50);

describe(`load with writes: ${readers} readers for ${seconds} s while the author saves and uploads`, () => {
  it(
    'serves every request with the status of its route (no 5xx, no stray 404), loses no acknowledged save and leaves a sound database',
    async () => {
      const result = await runLoad({ seconds, readers });
      mkdirSync(join(ROOT, '.tmp'), { recursive: true });
      writeFileSync(join(ROOT, '.tmp', `load-results-${seconds}s.json`), `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`load results: ${JSON.stringify(result)}\n`);
      expect(result.serverErrors).toEqual([]);
      expect(result.unexpectedStatuses).toEqual({});
      expect(result.networkErrors).toBe(0);
      expect(result.sqliteBusy).toBe(0);
      expect(result.missingSaves).toEqual([]);
      expect(result.integrity).toBe('ok');
      // It really was load with writes, not an idle run.
      expect(result.reads).toBeGreaterThan(seconds * 20);
      expect(result.saves.created).toBeGreaterThan(0);
      expect(result.saves.edited).toBeGreaterThan(0);
      expect(result.uploads.stored).toBeGreaterThan(0);
      expect(result.saves.refused + result.uploads.refused).toBe(0);
    },
    (seconds + 60) * 1_000,
  );
});
