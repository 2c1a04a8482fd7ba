import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';

import { cutByAStop, LITESTREAM_BIN } from './container.js';
import type { GcsStandIn, RecordedRequest } from './gcs-stand-in.js';
import { ROOT } from './process.js';

// Why async only: the GCS stand-in answers from this process; a synchronous child would hang.
const run = promisify(execFile);

export const LEASE_CLI = join(ROOT, 'dist', 'apps', 'blog', 'src', 'cli', 'writer-lease.js');
export const REPLICA_PATH = 'blog/inkstone.db';

/**
 * The real litestream.yml with a shorter sync interval, so a replicated save answers in ~0.2 s
 * instead of ~2 s (the rest of the file, and the binary, are the production ones).
 */
export function fastLitestreamConfig(dir: string): string {
  const path = join(dir, 'litestream.fast.yml');
  const text = readFileSync(join(ROOT, 'litestream.yml'), 'utf8');
  if (!/sync-interval: 1s/.test(text)) throw new Error('litestream.yml changed: update fastLitestreamConfig');
  writeFileSync(path, text.replace('sync-interval: 1s', 'sync-interval: 100ms'));
  return path;
}

export interface LeaseContent {
  holder: string;
  generation: string | null;
  restoredFrom: string | null;
}

/** Requests for the lease object beside a replica path (its name is in the path or the upload's query). */
const leaseRequestAt = (replicaPath: string) => (r: { path: string }) =>
  r.path.includes(encodeURIComponent(`${replicaPath}.writer-lease.json`));

/** A request for the lease object of REPLICA_PATH. */
export const isLeaseRequest = leaseRequestAt(REPLICA_PATH);

/**
 * The stand-in answers a test may expect around the lease of the replica at `replicaPath`: 404
 * reading a lease not written yet (the first start on a bucket) and 412 for a lease write that
 * lost a race.
 */
export function leaseRaceOrAbsentAt(replicaPath: string): (r: RecordedRequest) => boolean {
  const isLease = leaseRequestAt(replicaPath);
  return (r) => isLease(r) && ((r.status === 404 && r.method === 'GET') || (r.status === 412 && r.method === 'POST'));
}

/** leaseRaceOrAbsentAt for REPLICA_PATH, the path the e2e specs replicate to. */
export const leaseRaceOrAbsent = leaseRaceOrAbsentAt(REPLICA_PATH);

/**
 * A create-only write (ifGenerationMatch=0) of a media object answered 412: the same
 * content-addressed bytes are already there, which gcs-media-store.ts takes as stored. Two
 * instances drawing the same social card during a handover do this, as does a retried upload.
 */
export function mediaAlreadyStored(r: RecordedRequest): boolean {
  return (
    r.status === 412 &&
    r.method === 'POST' &&
    /[?&]ifGenerationMatch=0(&|$)/.test(r.path) &&
    /[?&]name=(?:[^&]*%2F)?media%2F[0-9a-f]{64}[.-]/.test(r.path)
  );
}

/**
 * Every answer other than 2xx that instances on a replica path cause by following the protocol: the
 * lease's (leaseRaceOrAbsent), a media object already stored, a Litestream upload cut by its
 * instance's own stop (cutByAStop). What a spec's `gcs.unexpected()` check declares.
 */
export function expectedOfInstancesAt(replicaPath: string): (r: RecordedRequest) => boolean {
  const lease = leaseRaceOrAbsentAt(replicaPath);
  return (r) => lease(r) || mediaAlreadyStored(r) || cutByAStop(r);
}

export const expectedOfInstances = expectedOfInstancesAt(REPLICA_PATH);

export function leaseIn(gcs: GcsStandIn, bucket: string): LeaseContent | null {
  const object = gcs.object(bucket, `${REPLICA_PATH}.writer-lease.json`);
  return object ? (JSON.parse(object.data.toString('utf8')) as LeaseContent) : null;
}

/** The Litestream generations in a bucket's replica. */
export function generationsIn(gcs: GcsStandIn, bucket: string): string[] {
  const names = new Set<string>();
  for (const key of gcs.objects(bucket).keys()) {
    const match = new RegExp(`^${REPLICA_PATH}/generations/([0-9a-f]{16})/`).exec(key);
    if (match) names.add(match[1]);
  }
  return [...names];
}

/** `writer-lease generation`: the generation a restore must use ('' for a plain restore). */
export async function leaseGeneration(gcs: GcsStandIn, replicaUrl: string): Promise<string> {
  const { stdout } = await run(process.execPath, [LEASE_CLI, 'generation'], {
    env: { PATH: process.env.PATH ?? '', LITESTREAM_REPLICA_URL: replicaUrl, ...gcs.env },
    timeout: 20_000,
  });
  return stdout.trim();
}

/** Restores the replica into a new file: with the lease's generation, or a plain (latest end time) restore. */
export async function restoreInto(gcs: GcsStandIn, replicaUrl: string, target: string, mode: 'live' | 'plain'): Promise<string> {
  mkdirSync(join(target, '..'), { recursive: true });
  const generation = mode === 'live' ? await leaseGeneration(gcs, replicaUrl) : '';
  await run(LITESTREAM_BIN, ['restore', ...(generation ? ['-generation', generation] : []), '-o', target, replicaUrl], {
    env: { PATH: process.env.PATH ?? '', HOME: ROOT, ...gcs.env },
    timeout: 30_000,
  });
  return target;
}

export interface DatabaseContents {
  slugs: Set<string>;
  integrity: string;
  /** Posts missing a part every save writes in its one transaction (revision, tag link, search row). */
  partial: string[];
  /** Stored view counts, all posts together. */
  views: number;
}

export function inspectDatabase(path: string): DatabaseContents {
  const db = new Database(path, { readonly: true });
  try {
    const slugs = new Set((db.prepare('SELECT slug FROM post').all() as { slug: string }[]).map((r) => r.slug));
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const partial = (
      db
        .prepare(
          `SELECT slug FROM post p WHERE NOT EXISTS (SELECT 1 FROM revision r WHERE r.post_id = p.id)
             OR NOT EXISTS (SELECT 1 FROM post_tags t WHERE t.post_id = p.id)
             OR NOT EXISTS (SELECT 1 FROM post_search s WHERE s.rowid = p.id)
             OR p.html = ''`,
        )
        .all() as { slug: string }[]
    ).map((r) => r.slug);
    const views = (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM post_view').get() as { n: number }).n;
    return { slugs, integrity, partial, views };
  } finally {
    db.close();
  }
}

/** Seeded randomness (mulberry32), so a failing round can be replayed with ROLLOUT_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
