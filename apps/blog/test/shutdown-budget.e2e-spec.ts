import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { type GcsStandIn, type RecordedRequest, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import { expectedOfInstances, inspectDatabase, REPLICA_PATH, restoreInto } from './support/rollout.js';
import { type SlowLink, startSlowLink } from './support/slow-link.js';

/** Cloud Run sends SIGKILL this long after SIGTERM. */
const KILL_AFTER_MS = 10_000;

/** A client that sends a request body a byte at a time: its connection stays busy until cut. */
function dribble(port: number): Socket {
  const socket = connect(port, '127.0.0.1', () => {
    socket.write('POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n');
    const timer = setInterval(() => (socket.writable ? socket.write('x') : clearInterval(timer)), 200);
    socket.on('close', () => clearInterval(timer));
  });
  socket.on('error', () => {});
  return socket;
}

/** An idle keep-alive connection, as a browser leaves behind. */
function idleKeepAlive(port: number): Socket {
  const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
  socket.on('error', () => {});
  return socket;
}

describe('shutdown fits in the 10 s Cloud Run gives after SIGTERM', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let link: SlowLink;
  const running: Instance[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-shutdown-'));
    gcs = await startGcsStandIn({ buckets: ['shutdown'] });
    link = await startSlowLink(gcs);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const instance of running.splice(0)) killHard(instance);
    gcs.slowDown(0);
    link.responseDelayMs = 0;
  });
  afterAll(async () => {
    await link.stop();
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bucket = 'shutdown';
  const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
  async function start(name: string): Promise<Instance> {
    const instance = await startInstance({
      databasePath: join(dir, name, 'blog.db'),
      replicaUrl,
      env: { ...gcs.env, STORAGE_EMULATOR_HOST: link.host, REPLICATION_WAIT_MS: '5000' },
    });
    running.push(instance);
    return instance;
  }

  it('exits 0 and lets Litestream finish within the budget, with slow clients and a slow bucket; acknowledged saves survive', async () => {
    const instance = await start('slow');
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    const acknowledged: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await admin.createPost(`Kept ${n}`, 'An acknowledged save.');
      if (res.location?.endsWith('replication=replicated')) acknowledged.push(`kept-${n}`);
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    // Views waiting in memory: the shutdown flush reads the writer lease before writing them.
    for (let n = 0; n < 3; n++) {
      const res = await fetch(`${instance.base}/posts/kept-1`, { headers: { 'User-Agent': 'Mozilla/5.0 (reader)' } });
      expect(res.status).toBe(200);
    }
    for (let n = 0; n < 5; n++) sockets.push(dribble(instance.port));
    for (let n = 0; n < 3; n++) sockets.push(idleKeepAlive(instance.port));
    await new Promise((r) => setTimeout(r, 500));
    // The bucket is slow (every answer 300 ms late), and the lease object slower still: a read of it
    // takes longer than the whole shutdown.
    link.responseDelayMs = 300;
    gcs.slowDown(15_000, (r) => r.path.includes(encodeURIComponent(`${REPLICA_PATH}.writer-lease.json`)));

    const sent = Date.now();
    instance.child.kill('SIGTERM');
    // Cloud Run's SIGKILL, if the instance is still there.
    const killer = setTimeout(() => killHard(instance), KILL_AFTER_MS);
    const exit = await instance.exited;
    const elapsed = Date.now() - sent;
    clearTimeout(killer);
    console.log(`shutdown: instance gone ${elapsed} ms after SIGTERM`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(KILL_AFTER_MS);

    gcs.slowDown(0);
    link.responseDelayMs = 0;
    const restored = inspectDatabase(await restoreInto(gcs, replicaUrl, join(dir, 'restored', 'blog.db'), 'live'));
    for (const slug of acknowledged) expect(restored.slugs.has(slug)).toBe(true);
    expect(restored.integrity).toBe('ok');
  }, 120_000);

  it('sent the bucket nothing it would refuse (no unknown route, no unexpected 4xx, no anonymous Node client)', () => {
    // Declared: the lease read this test holds for 15 s is never answered (the instance is gone first).
    const heldLeaseRead = (r: RecordedRequest) => r.status === -1 && r.method === 'GET' && r.path.includes('writer-lease.json');
    expect(gcs.unexpected((r) => expectedOfInstances(r) || heldLeaseRead(r))).toEqual([]);
  });
});
