import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { ROOT } from './support/process.js';
import { expectedOfInstances, REPLICA_PATH } from './support/rollout.js';

/**
 * The app's last write (the view counts it flushes after SIGTERM) is shipped by Litestream's own
 * replica loop before the app exits, not left to the final sync that follows the app's exit. Why:
 * Litestream 0.3.13 cancels its context when the app exits, and a WAL-segment upload cancelled
 * while it is being written into its pipe blocks the replica goroutine for good; Close then waits
 * for it forever (no final sync; Cloud Run's SIGKILL ends it). Seen in retention.e2e-spec as an
 * instance that never exited after SIGTERM, with that goroutine stack (pprof on Litestream's addr).
 */
describe('shutdown waits for its last write to be replicated', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let instance: Instance | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-shutdown-replication-'));
    gcs = await startGcsStandIn({ buckets: ['last-write'] });
  });
  afterAll(async () => {
    if (instance) killHard(instance);
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the view counts flushed after SIGTERM before the app exits, and leaves the final sync nothing to send', async () => {
    // Litestream's debug log names each replica sync, so the final one can be told apart.
    const config = join(dir, 'litestream.yml');
    writeFileSync(config, `${readFileSync(join(ROOT, 'litestream.yml'), 'utf8')}\nlogging:\n  level: debug\n`);
    instance = await startInstance({
      databasePath: join(dir, 'blog.db'),
      replicaUrl: `gcs://last-write/${REPLICA_PATH}`,
      env: { ...gcs.env, LITESTREAM_CONFIG: config },
    });
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    const saved = await admin.createPost('Counted', 'Read once before the shutdown.');
    expect(saved.location).toMatch(/replication=replicated$/);
    // A reader's view: counted in memory, written by the flush after SIGTERM.
    expect((await fetch(`${instance.base}/posts/counted`)).status).toBe(200);

    instance.child.kill('SIGTERM');
    expect(await instance.exited).toEqual({ code: 0, signal: null });
    const log = instance.output();
    const afterSignal = log.slice(log.indexOf('signal received'));
    expect(afterSignal).toContain('litestream shut down');
    // The flush's segment was written while the app was still running…
    const written = afterSignal.indexOf('"wal segment written"');
    expect(written).toBeGreaterThan(-1);
    // …so the final sync (the last "replica sync") found nothing new to send.
    const finalSync = afterSignal.lastIndexOf('msg="replica sync"');
    expect(finalSync).toBeGreaterThan(written);
    expect(afterSignal.slice(finalSync)).not.toContain('write wal segment');
  }, 90_000);
});
