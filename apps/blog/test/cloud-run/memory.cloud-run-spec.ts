import { join } from 'node:path';

import autocannon from 'autocannon';

import { pngOfSize } from '../support/media-images.js';
import { MAX_REQUEST_BYTES } from './front-proxy.js';
import { type MemoryBreakdown, peaks } from './memory-breakdown.js';
import { parseQuantity } from './service-spec.js';
import { replicateIntoBucket, seedDatabaseFile } from './seed-bucket.js';
import { mib, report, type Scenario, sleep, startScenario } from './scenario.js';

/**
 * Scenario 6: the memory limit from service.yaml holds the app, Litestream AND the in-memory
 * filesystem (database, WAL, shadow WAL, /tmp). A blog of 500 posts under read load, with the
 * largest upload, the largest web import and a database download after it, must stay
 * within it. Prints the peaks: cgroup (processes + tmpfs), each tmpfs, each program's RSS.
 */
const LOAD_SECONDS = Number(process.env.CLOUD_RUN_LOAD_SECONDS ?? 20);

describe('peak memory under load', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('stays within the limit with the largest upload, import and backup download', async () => {
    // CLOUD_RUN_MEMORY=1Gi: the same scenario under another limit (to measure what a failing run needs).
    const memory = process.env.CLOUD_RUN_MEMORY;
    s = await startScenario({ editSpec: (spec) => void (memory && (spec.memoryBytes = parseQuantity(memory))) });
    const file = join(s.dir, 'seed.db');
    await seedDatabaseFile(file, 500, 0);
    await replicateIntoBucket(s.gcs, s.replicaUrl, file);
    expect((await fetch(`${s.cloudRun.url}/`)).status).toBe(200);
    const instance = s.cloudRun.current!;
    const admin = await s.admin();
    const limit = s.cloudRun.spec.memoryBytes;

    // Unreclaimable memory (processes + tmpfs), sampled: max_usage_in_bytes also counts page cache,
    // which the kernel drops at the limit instead of killing.
    const samples: MemoryBreakdown[] = [];
    const t0 = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${what}@${((Date.now() - t0) / 1000).toFixed(1)}s`);
    let sampling = true;
    const sampler = (async () => {
      while (sampling && instance.state === 'ready') {
        const sample = instance.memoryBreakdown();
        if (sample) samples.push(sample);
        if (process.env.CLOUD_RUN_LOG && sample && samples.length % 10 === 0)
          process.stdout.write(
            `mem +${Date.now() - t0}ms ${JSON.stringify({ u: mib(sample.unreclaimable), t: sample.tmpfs, r: sample.rss })}\n`,
          );
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
    // The upload during the read load, then the import, then a database download (the largest copy, while the
    // import's WAL and shadow WAL are still held). Not during the import: it holds the app's one
    // SQLite connection for its whole transaction, so the download's session check waits for it and
    // fails after knex's 60 s acquire timeout (500) when the import takes longer (seen here).
    const download = async (label: string) => {
      const res = await fetch(`${s!.cloudRun.url}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
      const bytes = (await res.arrayBuffer()).byteLength;
      mark(`${label} ${res.status} ${mib(bytes)}MiB`);
      return { status: res.status, bytes };
    };
    const failed = (err: Error) => ({ status: `${err.message} (${String(err.cause)})`, bytes: 0 });
    const writes = (async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pngOfSize(10 * 1024 * 1024 - 4096))], { type: 'image/png' }), 'largest.png');
      const uploaded = await fetch(`${s!.cloudRun.url}/admin/media?_csrf=${encodeURIComponent(csrf)}`, {
        method: 'POST',
        headers: { Cookie: admin.cookieHeader(), Accept: 'application/json' },
        body: form,
      });
      mark(`upload ${uploaded.status}`);
      // The import after the read load: while its transaction holds the app's one connection, a
      // read that misses the page cache or flushes view counts waits for it (past autocannon's 10 s).
      await load;
      const importForm = new FormData();
      importForm.append('files', new Blob([new Uint8Array(importJson)], { type: 'application/json' }), 'export.json');
      const importing = fetch(`${s!.cloudRun.url}/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`, {
        method: 'POST',
        headers: { Cookie: admin.cookieHeader() },
        body: importForm,
      }).then(async (res) => {
        const text = await res.text();
        mark(`import ${res.status}`);
        if (res.status !== 200) process.stdout.write(`import answered ${res.status}: ${text.slice(0, 2000)}\n`);
        return res.status;
      });
      const importStatus = await importing;
      const afterImport = await download('download after import').catch(failed);
      return { uploadStatus: uploaded.status, importStatus, downloads: [afterImport] };
    })().catch((err: Error) => {
      mark(`failed: ${err.message} (${String(err.cause)})`);
      return { uploadStatus: 0, importStatus: `${err.message} (${String(err.cause)})`, downloads: [] };
    });
    let loadResult: autocannon.Result;
    let outcome: Awaited<typeof writes>;
    try {
      [loadResult, outcome] = await Promise.all([load, writes]);
    } finally {
      sampling = false;
      await sampler;
    }
    const after = instance.report();
    const peak = peaks(samples);
    const peakUnreclaimable = peak.unreclaimable;
    const inMib = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, mib(v)]));
    report('peak memory under load', {
      limitMiB: mib(limit),
      peakUnreclaimableMiB: mib(peakUnreclaimable),
      peakTmpfsMiB: inMib(peak.tmpfs),
      peakRssMiB: inMib(peak.rss),
      timeline,
      maxUsageMiB: mib(after.peakMemoryBytes),
      oomKills: after.oomKills,
      instance: after.failure ?? instance.state,
      instancesStarted: s.cloudRun.instances.length,
      requestsPerSecond: Math.round(loadResult.requests.average),
      non2xx: loadResult.non2xx,
      errors: loadResult.errors,
      upload: outcome.uploadStatus,
      importMiB: mib(importJson.length),
      import: outcome.importStatus,
      downloads: outcome.downloads,
      headroomMiB: mib(limit - peakUnreclaimable),
    });
    expect(after.oomKills).toBe(0);
    expect(instance.state).toBe('ready');
    expect(loadResult.errors).toBe(0);
    expect(loadResult.non2xx).toBe(0);
    expect(outcome.uploadStatus).toBe(201);
    expect(outcome.importStatus).toBe(200);
    expect(outcome.downloads.map((d) => d.status)).toEqual([200]);
    // The copy holds the import: the largest database this blog can be given through the web.
    expect(outcome.downloads[0].bytes).toBeGreaterThan(importJson.length * 2);
    // With a margin: the sampler reads every 50 ms and can miss a spike (Litestream's upload buffers).
    expect(peakUnreclaimable).toBeLessThan(limit * 0.75);
  }, 600_000);
});
