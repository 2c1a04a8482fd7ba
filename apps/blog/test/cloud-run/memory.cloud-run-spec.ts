import { join } from 'node:path';

import autocannon from 'autocannon';

import { pngOfSize } from '../support/media-images.js';
import { MAX_REQUEST_BYTES } from './front-proxy.js';
import { replicateIntoBucket, seedDatabaseFile } from './seed-bucket.js';
import { mib, report, type Scenario, sleep, startScenario } from './scenario.js';

/**
 * Scenario 6: the memory limit from service.yaml holds the app, Litestream AND the in-memory
 * filesystem (database, WAL, shadow WAL, /tmp). A blog of 500 posts under read load, with the
 * largest upload, the largest import and a backup download at the same time, must stay within it.
 */
const LOAD_SECONDS = Number(process.env.CLOUD_RUN_LOAD_SECONDS ?? 20);

describe('peak memory under load', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('stays within the limit with the largest upload, import and backup download', async () => {
    s = await startScenario();
    const file = join(s.dir, 'seed.db');
    await seedDatabaseFile(file, 500, 0);
    await replicateIntoBucket(s.gcs, s.replicaUrl, file);
    expect((await fetch(`${s.cloudRun.url}/`)).status).toBe(200);
    const instance = s.cloudRun.current!;
    const admin = await s.admin();
    const limit = s.cloudRun.spec.memoryBytes;

    // Unreclaimable memory (processes + tmpfs), sampled: max_usage_in_bytes also counts page cache,
    // which the kernel drops at the limit instead of killing.
    let peakUnreclaimable = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling && instance.state === 'ready') {
        const stat = instance.cgroups.memoryStat();
        peakUnreclaimable = Math.max(peakUnreclaimable, (stat.total_rss ?? stat.rss) + (stat.total_shmem ?? stat.shmem));
        await sleep(50);
      }
    })();

    const backupPage = await (await admin.request('GET', '/admin/backup')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(backupPage)![1];
    const stated = Number(/At most (\d+(?:\.\d+)?) MB/.exec(backupPage)![1]) * 2 ** 20;
    // The largest import the platform lets through: the page's limit, or what fits in 32 MiB.
    const importBytes = Math.min(stated, MAX_REQUEST_BYTES) - 256 * 1024;
    const exported = (await (await admin.request('GET', '/admin/backup/export')).json()) as { posts: { slug: string }[] };
    const template = exported.posts[0];
    // Copies of a post under new slugs, up to the size (each copy's size known: no quadratic stringify).
    let size = JSON.stringify(exported).length;
    const copySize = JSON.stringify({ ...template, slug: 'imported-000000' }).length + 1;
    for (let i = 0; size + copySize < importBytes; i++, size += copySize) {
      exported.posts.push({ ...template, slug: `imported-${String(i).padStart(6, '0')}` });
    }
    const importJson = Buffer.from(JSON.stringify(exported));

    const load = autocannon({
      url: s.cloudRun.url,
      connections: 16,
      duration: LOAD_SECONDS,
      requests: [
        { path: '/' },
        { path: '/posts/post-250' },
        { path: '/tags' },
        { path: '/search?q=litestream' },
        { path: '/posts/post-7' },
      ],
    });
    const upload = (async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pngOfSize(10 * 1024 * 1024 - 4096))], { type: 'image/png' }), 'largest.png');
      const res = await fetch(`${s!.cloudRun.url}/admin/media?_csrf=${encodeURIComponent(csrf)}`, {
        method: 'POST',
        headers: { Cookie: admin.cookieHeader(), Accept: 'application/json' },
        body: form,
      });
      return res.status;
    })().catch((err: Error) => `${err.message} (${String(err.cause)})`);
    const imported = (async () => {
      await sleep(2_000);
      const form = new FormData();
      form.append('files', new Blob([new Uint8Array(importJson)], { type: 'application/json' }), 'export.json');
      const res = await fetch(`${s!.cloudRun.url}/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`, {
        method: 'POST',
        headers: { Cookie: admin.cookieHeader() },
        body: form,
      });
      await res.arrayBuffer();
      return res.status;
    })().catch((err: Error) => `${err.message} (${String(err.cause)})`);
    const download = (async () => {
      await sleep(4_000);
      const res = await fetch(`${s!.cloudRun.url}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
      return { status: res.status, bytes: (await res.arrayBuffer()).byteLength };
    })().catch((err: Error) => ({ status: `${err.message} (${String(err.cause)})`, bytes: 0 }));
    let loadResult: autocannon.Result;
    let uploadStatus, importStatus, downloaded;
    try {
      [loadResult, uploadStatus, importStatus, downloaded] = await Promise.all([load, upload, imported, download]);
    } finally {
      sampling = false;
      await sampler;
    }
    const after = instance.report();
    report('peak memory under load', {
      limitMiB: mib(limit),
      peakUnreclaimableMiB: mib(peakUnreclaimable),
      maxUsageMiB: mib(after.peakMemoryBytes),
      oomKills: after.oomKills,
      instance: after.failure ?? instance.state,
      instancesStarted: s.cloudRun.instances.length,
      requestsPerSecond: Math.round(loadResult.requests.average),
      non2xx: loadResult.non2xx,
      errors: loadResult.errors,
      upload: uploadStatus,
      importMiB: mib(importJson.length),
      import: importStatus,
      download: downloaded,
    });
    expect(after.oomKills).toBe(0);
    expect(instance.state).toBe('ready');
    expect(loadResult.errors).toBe(0);
    expect(loadResult.non2xx).toBe(0);
    expect(uploadStatus).toBe(201);
    expect(importStatus).toBe(200);
    expect(downloaded.status).toBe(200);
    expect(peakUnreclaimable).toBeLessThan(limit);
  }, 600_000);
});
