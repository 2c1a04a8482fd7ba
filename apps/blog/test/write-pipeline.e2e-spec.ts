import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ADMIN_PASSWORD, type Instance, killHard, startInstance } from './support/container.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';
import { HttpAdmin } from './support/http-admin.js';
import {
  expectedOfInstances,
  fastLitestreamConfig,
  inspectDatabase,
  isLeaseRequest,
  LEASE_CLI,
  REPLICA_PATH,
} from './support/rollout.js';

/**
 * Every author write runs one pipeline: lease check, the write, the wait for replication, the
 * lease check again, the answer. Here the lease moves while a write waits for its replication
 * (a newcomer took it, as start.sh does): whatever the route answers with (a redirect, a page,
 * JSON), the author must be told "Not confirmed", never that the write is safe.
 */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOT_CONFIRMED = 'Not confirmed — the site is moving to a new version while this was being saved';

describe('the write pipeline when the lease moves during replication', () => {
  let dir: string;
  let gcs: GcsStandIn;
  let config: string;
  const running: Instance[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-write-pipeline-'));
    gcs = await startGcsStandIn({ buckets: ['form', 'import'] });
    config = fastLitestreamConfig(dir);
  });
  afterEach(() => {
    gcs.slowDown(0);
    for (const instance of running.splice(0)) killHard(instance);
  });
  afterAll(async () => {
    expect(gcs.unexpected(expectedOfInstances)).toEqual([]);
    await gcs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts an instance on its own bucket, logs in, then sends `write` with the replica's uploads
   * held back (the lease's own requests are not), and takes the lease away once the write is in
   * the database: the write has passed the first lease check and waits for replication.
   */
  async function moveLeaseDuring(
    bucket: string,
    slug: string,
    write: (admin: HttpAdmin) => Promise<Response>,
  ): Promise<Response> {
    const databasePath = join(dir, bucket, 'blog.db');
    const replicaUrl = `gcs://${bucket}/${REPLICA_PATH}`;
    const instance = await startInstance({ databasePath, replicaUrl, env: { ...gcs.env, LITESTREAM_CONFIG: config } });
    running.push(instance);
    const admin = new HttpAdmin(instance.base);
    await admin.login('admin', ADMIN_PASSWORD);
    gcs.slowDown(8_000, (r) => r.path.includes(bucket) && !isLeaseRequest(r));
    const answer = write(admin);
    const deadline = Date.now() + 20_000;
    while (!inspectDatabase(databasePath).slugs.has(slug)) {
      if (Date.now() > deadline) throw new Error(`${slug} never reached the database`);
      await sleep(50);
    }
    await run(process.execPath, [LEASE_CLI, 'take'], {
      env: { PATH: process.env.PATH ?? '', LITESTREAM_REPLICA_URL: replicaUrl, ...gcs.env },
    });
    return answer;
  }

  it('a form save (a redirect) answers 503 Not confirmed', async () => {
    const res = await moveLeaseDuring('form', 'saved-while-moving', (admin) =>
      admin.request('POST', '/admin/posts/new', {
        _csrf: admin.csrf,
        title: 'Saved while moving',
        markdown: 'x',
        status: 'published',
      }),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain(NOT_CONFIRMED);
  }, 90_000);

  it('the backup import (a page) answers 503 Not confirmed', async () => {
    const res = await moveLeaseDuring('import', 'imported-while-moving', (admin) => {
      const form = new FormData();
      const markdown = '---\ntitle: Imported while moving\ndate: 2024-05-06\n---\n\nBody.\n';
      form.append('files', new Blob([markdown], { type: 'text/markdown' }), 'imported-while-moving.md');
      return fetch(`${admin.base}/admin/backup/import?_csrf=${encodeURIComponent(admin.csrf)}`, {
        method: 'POST',
        headers: { Cookie: admin.cookieHeader() },
        body: form,
        redirect: 'manual',
      });
    });
    const text = await res.text();
    expect(text).not.toContain('Replicated to the backup bucket');
    expect(res.status).toBe(503);
    expect(text).toContain(NOT_CONFIRMED);
  }, 90_000);
});
