import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startInstance } from './support/container.js';

/** Processes whose environment names this database: the instance's sh, Litestream and app. */
function processesOf(databasePath: string): number[] {
  const mark = `DATABASE_PATH=${databasePath}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

describe('test support: an instance that fails to start', () => {
  it('leaves no process behind when it does not answer in time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkstone-container-'));
    const databasePath = join(dir, 'blog.db');
    try {
      await expect(startInstance({ databasePath, readyTimeoutMs: 300 })).rejects.toThrow(/did not answer \/healthz in time/);
      let left = processesOf(databasePath);
      for (const until = Date.now() + 5_000; left.length > 0 && Date.now() < until; left = processesOf(databasePath))
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(left).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
