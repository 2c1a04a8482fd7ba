import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type GcsStandIn, type RecordedRequest, startGcsStandIn } from '../support/gcs-stand-in.js';
import { HttpAdmin } from '../support/http-admin.js';
import { assertBuilt } from '../support/process.js';
import { expectedOfInstancesAt, inspectDatabase, restoreInto } from '../support/rollout.js';
import { ADMIN_USERNAME, defaultSecrets, LocalCloudRun, type LocalCloudRunOptions } from './local-cloud-run.js';
import { type SecretManagerStandIn, startSecretsFor } from './platform-secrets.js';

export type SaveOutcome = 'replicated' | 'pending' | 'refused' | 'failed';

export interface Scenario {
  gcs: GcsStandIn;
  bucket: string;
  replicaUrl: string;
  cloudRun: LocalCloudRun;
  /** Where the platform reads the service's secrets (each as version 1 of defaultSecrets() unless given). */
  secretManager: SecretManagerStandIn;
  adminPassword: string;
  dir: string;
  /** A logged-in admin talking to the front proxy. */
  admin(): Promise<HttpAdmin>;
  /** Stops everything; `expected` declares bucket requests the scenario provokes on purpose. */
  close(expected?: (r: RecordedRequest) => boolean): Promise<void>;
}

/** A GCS stand-in, a bucket and the service deployed on the local Cloud Run (no instance yet). */
export async function startScenario(
  options: Partial<LocalCloudRunOptions> & { gcs?: GcsStandIn; adminPassword?: string } = {},
): Promise<Scenario> {
  assertBuilt();
  const bucket = options.bucket ?? 'inkstone-cloud-run';
  const gcs = options.gcs ?? (await startGcsStandIn());
  gcs.createBucket(bucket);
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-cloud-run-'));
  const secrets = defaultSecrets();
  const adminPassword = options.adminPassword ?? secrets['inkstone-admin-password'];
  const secretManager = options.secretManager ?? (await startSecretsFor(secrets));
  const stopOwn = async () => {
    if (!options.gcs) await gcs.stop();
    if (!options.secretManager) await secretManager.stop();
  };
  let cloudRun: LocalCloudRun;
  try {
    cloudRun = await LocalCloudRun.create({ ...options, secretManager, gcs, bucket });
  } catch (err) {
    await stopOwn();
    throw err;
  }
  let closed = false;
  return {
    gcs,
    bucket,
    replicaUrl: `gcs://${bucket}/inkstone.db`,
    cloudRun,
    secretManager,
    adminPassword,
    dir,
    async admin() {
      // A cold start can take longer than one admin request's timeout on a loaded machine.
      await cloudRun.warm();
      const admin = new HttpAdmin(cloudRun.url);
      await admin.login(ADMIN_USERNAME, adminPassword);
      return admin;
    },
    async close(expected = () => false) {
      if (closed) return;
      closed = true;
      // CLOUD_RUN_LOG=1: every instance's output (start.sh, Litestream, the app), for a failing run.
      if (process.env.CLOUD_RUN_LOG) {
        for (const i of cloudRun.instances)
          process.stdout.write(`--- ${i.options.name} (${i.options.revision})\n${i.output()}\n`);
      }
      try {
        await cloudRun.close();
        // The bucket is as strict as GCS: nothing may have hit an unknown route or been refused
        // unexpectedly (the lease's first 404 and a lost race's 412 are part of the protocol, and
        // Litestream cuts its upload in flight when its instance stops, then sends it again).
        const ofInstances = expectedOfInstancesAt('inkstone.db');
        const unexpected = gcs.unexpected((r) => ofInstances(r) || expected(r));
        if (unexpected.length) throw new Error(`the bucket refused or did not know: ${JSON.stringify(unexpected, null, 1)}`);
      } finally {
        await stopOwn();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** One author save through the front proxy, and what the author was told. */
export async function save(admin: HttpAdmin, title: string): Promise<SaveOutcome> {
  try {
    const { status, location } = await admin.createPost(title, `Body of ${title}.`);
    return outcomeOf(status, location);
  } catch {
    return 'failed'; // the connection went away: the author was told nothing
  }
}

export function outcomeOf(status: number, location: string | null): SaveOutcome {
  if (status === 303 && location?.endsWith('replication=replicated')) return 'replicated';
  if (status === 303 && location?.endsWith('replication=pending')) return 'pending';
  return status === 503 ? 'refused' : 'failed';
}

export const slugOf = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The posts a fresh restore of the bucket holds (the generation the writer lease names). */
export async function restoredSlugs(s: Scenario, name: string): Promise<Set<string>> {
  const target = join(s.dir, `${name}.db`);
  await restoreInto(s.gcs, s.replicaUrl, target, 'live');
  const contents = inspectDatabase(target);
  if (contents.integrity !== 'ok') throw new Error(`restored database ${name}: integrity_check says ${contents.integrity}`);
  return contents.slugs;
}

/** The line CI's log and the coordinator's table read: `cloud-run: <scenario>: <figures>`. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  process.stdout.write(`cloud-run: ${scenario}: ${text}\n`);
}

export const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
