import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { mediaBesideReplica } from '../../src/config/config.js';
import { LITESTREAM_BIN, startInstance } from '../support/container.js';
import type { GcsStandIn } from '../support/gcs-stand-in.js';
import { ROOT } from '../support/process.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A database of `posts` posts padded to `bytes`, made by the bench's seeder (the app's own
 * migrations and renderer; compiled bench, since its paths are relative to .tmp/bench-build).
 */
export async function seedDatabaseFile(path: string, posts: number, bytes: number): Promise<void> {
  const seed = join(ROOT, '.tmp', 'bench-build', 'bench', 'seed.js');
  if (!existsSync(seed)) await run('npx', ['tsc', '-p', join(ROOT, 'bench', 'tsconfig.json')], { cwd: ROOT });
  await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(seed)}); await m.seedDatabase(${JSON.stringify(path)}, ${posts}, ${bytes});`,
    ],
    { cwd: ROOT, timeout: 180_000 },
  );
}

/**
 * Puts a database into the bucket the way a running blog would have: its images (the folder
 * `media/` beside the file, where the seeders write them as the app does locally) under the prefix
 * the app reads them from (`media` beside the replica path), then start.sh on this machine (writer
 * lease, Litestream) on that file, until its snapshot is uploaded; then SIGTERM.
 */
export async function replicateIntoBucket(gcs: GcsStandIn, replicaUrl: string, databasePath: string): Promise<void> {
  copyMediaIntoBucket(gcs, replicaUrl, join(dirname(databasePath), 'media'));
  const instance = await startInstance({ databasePath, replicaUrl, env: gcs.env });
  try {
    const [, bucket, path] = /^gcs:\/\/([^/]+)\/(.+)$/.exec(replicaUrl)!;
    const deadline = Date.now() + 120_000;
    while (![...gcs.objects(bucket).keys()].some((k) => k.startsWith(`${path}/generations/`) && k.includes('/snapshots/'))) {
      if (Date.now() > deadline) throw new Error(`no snapshot uploaded within 120 s:\n${instance.output()}`);
      await sleep(200);
    }
  } finally {
    instance.child.kill('SIGTERM');
    await instance.exited;
  }
}

/** The app's default media prefix for a replica: `media` beside the replica's path (config.ts). */
export function mediaPrefixOf(replicaUrl: string): { bucket: string; prefix: string } {
  // The app's own rule (config.ts), so the seed lands where the app reads.
  const store = mediaBesideReplica(replicaUrl);
  if (store?.kind !== 'gcs') throw new Error(`not a gcs:// replica: ${replicaUrl}`);
  return { bucket: store.bucket, prefix: store.prefix };
}

/** Every file of a local media folder as an object under the replica's media prefix. */
export function copyMediaIntoBucket(gcs: GcsStandIn, replicaUrl: string, folder: string): number {
  if (!existsSync(folder)) return 0;
  const { bucket, prefix } = mediaPrefixOf(replicaUrl);
  const names = readdirSync(folder);
  for (const name of names) gcs.putObject(bucket, `${prefix}/${name}`, readFileSync(join(folder, name)));
  return names.length;
}

/**
 * Puts a database file into the bucket as it is, with Litestream alone (no writer lease, no app):
 * for a blog whose boot would change the file (images from before the media store), so that its
 * first cold start under the local Cloud Run is the one that does the work. Without a lease the
 * cold start restores the latest generation. Its media folder goes under the media prefix too.
 */
export async function replicateFileIntoBucket(gcs: GcsStandIn, replicaUrl: string, databasePath: string): Promise<void> {
  copyMediaIntoBucket(gcs, replicaUrl, join(dirname(databasePath), 'media'));
  const config = `${databasePath}.litestream.yml`;
  writeFileSync(config, `dbs:\n  - path: ${databasePath}\n    replicas:\n      - url: ${replicaUrl}\n`);
  const child = spawn(LITESTREAM_BIN, ['replicate', '-config', config, '-exec', 'sleep 300'], {
    env: { ...process.env, ...gcs.env },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const [, bucket, path] = /^gcs:\/\/([^/]+)\/(.+)$/.exec(replicaUrl)!;
    const deadline = Date.now() + 120_000;
    while (![...gcs.objects(bucket).keys()].some((k) => k.startsWith(`${path}/generations/`) && k.includes('/snapshots/'))) {
      if (Date.now() > deadline) throw new Error('no snapshot uploaded within 120 s');
      await sleep(200);
    }
    // Why wait for a quiet bucket: Litestream 0.3.13 can hang for good when SIGTERM cancels an upload
    // in flight (its replica goroutine blocks writing into a pipe nobody reads; DESIGN.md, shutdown
    // step 4). CI once waited here until the suite's timeout.
    const quietSince = () => Math.max(0, ...gcs.requests.map((r) => r.endedAt ?? (r.status === 0 ? Infinity : 0)));
    while (Date.now() - quietSince() < 1_500 && Date.now() < deadline) await sleep(200);
  } finally {
    child.kill('SIGTERM');
    // The snapshot holds the whole file (nothing writes it meanwhile): should Litestream still hang,
    // it is killed rather than waited for.
    const hung = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
    if (hung) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}
