/**
 * `npm run db:pull -- [--timestamp ISO] [--out FILE]`: restores the bucket's replica
 * (LITESTREAM_REPLICA_URL) into a local file, to run production data locally or to inspect a
 * point in time before restoring the live site (README: "Restore to a point in time").
 * `npm run db:pull -- --images-for FILE`: no restore; copies the images a database file names (the
 * admin's *Download the database*, which holds their names, not their bytes) beside it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadConfig } from '../config/config.js';
import { openMediaStore } from '../media/media-store.module.js';
import { pullMedia } from '../media/pull-media.js';
import { databasePathFromEnv, fail } from './cli-common.js';
import { restoreReplica } from './litestream-restore.js';

const USAGE =
  'Usage: LITESTREAM_REPLICA_URL=gcs://BUCKET/inkstone.db npm run db:pull -- [--timestamp 2026-11-24T18:00:00Z] [--out FILE]\n' +
  '       LITESTREAM_REPLICA_URL=gcs://BUCKET/inkstone.db npm run db:pull -- --images-for DOWNLOADED.db';

let args;
try {
  args = parseArgs({
    options: { timestamp: { type: 'string' }, out: { type: 'string' }, 'images-for': { type: 'string' } },
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
const replicaUrl = process.env.LITESTREAM_REPLICA_URL?.trim();
if (!replicaUrl) fail(`LITESTREAM_REPLICA_URL is not set.\n${USAGE}`, 2);

const imagesFor = args['images-for'];
if (imagesFor !== undefined) {
  if (args.out !== undefined || args.timestamp !== undefined)
    fail(`--images-for restores nothing: it takes no --out or --timestamp.\n${USAGE}`, 2);
  const file = resolve(imagesFor);
  if (!existsSync(file)) fail(`${file} does not exist: name a database file (e.g. the admin's "Download the database").`, 2);
  await pullImages(file);
  process.stdout.write(`Run it: DATABASE_PATH=${file} npm start\n`);
  process.exit(0);
}

let timestamp: Date | undefined;
if (args.timestamp !== undefined) {
  timestamp = new Date(args.timestamp);
  if (!/^\d{4}-\d\d-\d\dT/.test(args.timestamp) || Number.isNaN(timestamp.getTime())) {
    fail(`--timestamp "${args.timestamp}" is not an ISO date and time such as 2026-11-24T18:00:00Z.`, 2);
  }
}
const out = args.out ? resolve(args.out) : databasePathFromEnv();
if (existsSync(out)) fail(`${out} exists; move it away or choose another file with --out. Nothing was restored.`);
mkdirSync(dirname(out), { recursive: true });
try {
  await restoreReplica({ replicaUrl, outputPath: out, timestamp });
} catch (err) {
  fail(`Restore failed: ${(err as Error).message}`);
}
if (!existsSync(out))
  fail(`The replica at ${replicaUrl} has nothing to restore${timestamp ? ` at ${timestamp.toISOString()}` : ''}.`);
await pullImages(out, `The database was restored to ${out}, but copying`);
process.stdout.write(
  `Restored ${replicaUrl}${timestamp ? ` as of ${timestamp.toISOString()}` : ''} to ${out}\nRun it: DATABASE_PATH=${out} npm start\n`,
);

/**
 * The images a database file names, from the store the app uses with this replica (MEDIA_STORE_URL,
 * or the bucket's media prefix) into the folder `media/` beside the file, where the app reads them.
 */
async function pullImages(file: string, failurePrefix = 'Copying'): Promise<void> {
  const source = loadConfig({ ...process.env, NODE_ENV: undefined, DATABASE_PATH: file }).mediaStore;
  const target = { kind: 'folder' as const, path: resolve(dirname(file), 'media') };
  if (source.kind !== 'gcs') {
    process.stdout.write(`Images: set MEDIA_STORE_URL=gcs://BUCKET/PREFIX to copy them too (they are not in the database).\n`);
    return;
  }
  try {
    const { copied, present } = await pullMedia(file, openMediaStore(source), openMediaStore(target));
    process.stdout.write(
      `Images: ${copied} copied from gs://${source.bucket}/${source.prefix}/ to ${target.path} (${present} already there)\n`,
    );
  } catch (err) {
    fail(`${failurePrefix} its images failed: ${(err as Error).message}`);
  }
}
