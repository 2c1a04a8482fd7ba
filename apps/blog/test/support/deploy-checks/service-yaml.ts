/** service.yaml (Cloud Run, Knative serving v1), rendered by scripts/render-service.sh. */
import { join, posix } from 'node:path';

import { asArray, at, isObj, type Obj, strings } from './documents.js';
import { ROOT, run } from './repo.js';
import { holdsSecret } from './secret-names.js';

export const RENDER_ENV = {
  SERVICE: 'inkstone',
  REGION: 'europe-west1',
  RUNTIME_SERVICE_ACCOUNT: 'inkstone-run@demo-project.iam.gserviceaccount.com',
  IMAGE: 'europe-west1-docker.pkg.dev/demo-project/inkstone/inkstone:0b5e-build-id',
  SITE_URL: 'https://blog.example.com',
  BUCKET: 'demo-project-inkstone',
  ADMIN_USERNAME: 'author',
};

export function renderService(env: Record<string, string>, template = 'service.yaml', cwd = ROOT) {
  return run('sh', [join(ROOT, 'scripts', 'render-service.sh'), template], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
}

/** `${…}` left in any value of a rendered document (comments do not matter: they are not values). */
export function leftoverPlaceholders(doc: unknown): string[] {
  return strings(doc)
    .filter((s) => s.value.includes('${'))
    .map((s) => `${s.path}: ${s.value}`);
}

/** Annotation and label values must be strings: Cloud Run rejects `maxScale: 1` and `cpu-boost: true`. */
export function annotationProblems(svc: unknown): string[] {
  const problems: string[] = [];
  const metas: [string, unknown][] = [
    ['metadata', at(svc, 'metadata')],
    ['spec.template.metadata', at(svc, 'spec', 'template', 'metadata')],
  ];
  for (const [where, meta] of metas) {
    for (const kind of ['annotations', 'labels']) {
      const map = at(meta, kind);
      if (map === undefined || map === null) continue;
      if (!isObj(map)) {
        problems.push(`${where}.${kind} must be a map`);
        continue;
      }
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'string')
          problems.push(`${where}.${kind}["${k}"] must be a string, got ${typeof v} ${JSON.stringify(v)}`);
      }
    }
  }
  return problems;
}

/** Names Cloud Run sets itself and refuses in a service's env. */
const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];
/** A Secret Manager version as Cloud Run takes it: `latest` or a version number. */
export const SECRET_VERSION = /^(latest|[1-9]\d*)$/;

function secretFileProblems(file: string, container: unknown, spec: unknown): string[] {
  const mount = asArray(at(container, 'volumeMounts')).find(
    (m) => typeof at(m, 'mountPath') === 'string' && file.startsWith(String(at(m, 'mountPath')).replace(/\/$/, '') + '/'),
  );
  if (!mount) return [`ADMIN_PASSWORD_FILE ${file} is not inside any volumeMount`];
  const volume = asArray(at(spec, 'volumes')).find((v) => at(v, 'name') === at(mount, 'name'));
  const secret = at(volume, 'secret');
  if (!isObj(secret))
    return [`volume "${String(at(mount, 'name'))}" mounted at ${String(at(mount, 'mountPath'))} is not a secret volume`];
  const problems: string[] = [];
  if (typeof secret.secretName !== 'string' || !secret.secretName)
    problems.push('the admin password volume has no secret.secretName');
  const items = asArray(secret.items);
  if (!items.length) problems.push('the admin password volume must list secret.items (key = version, path = file name)');
  for (const item of items) {
    if (!SECRET_VERSION.test(String(at(item, 'key')))) {
      problems.push(`secret.items[].key must be a version ('latest' or a number), got ${JSON.stringify(at(item, 'key'))}`);
    }
  }
  const mountPath = String(at(mount, 'mountPath'));
  if (!items.some((item) => posix.join(mountPath, String(at(item, 'path'))) === file)) {
    problems.push(`no secret item is mounted at ${file}`);
  }
  return problems;
}

/** The Cloud Run rules the Knative schema does not know. */
export function cloudRunProblems(svc: unknown, contract: ReadonlySet<string>): string[] {
  const p = annotationProblems(svc);
  const expectValue = (label: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) p.push(`${label} must be ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  const svcAnn = at(svc, 'metadata', 'annotations');
  const tplAnn = at(svc, 'spec', 'template', 'metadata', 'annotations');
  expectValue('service annotation run.googleapis.com/maxScale', at(svcAnn, 'run.googleapis.com/maxScale'), '1');
  expectValue('template annotation autoscaling.knative.dev/maxScale', at(tplAnn, 'autoscaling.knative.dev/maxScale'), '1');
  expectValue(
    'template annotation run.googleapis.com/execution-environment',
    at(tplAnn, 'run.googleapis.com/execution-environment'),
    'gen2',
  );
  expectValue(
    'template annotation run.googleapis.com/startup-cpu-boost',
    at(tplAnn, 'run.googleapis.com/startup-cpu-boost'),
    'true',
  );
  expectValue('template annotation run.googleapis.com/cpu-throttling', at(tplAnn, 'run.googleapis.com/cpu-throttling'), 'true');

  const spec = at(svc, 'spec', 'template', 'spec');
  for (const key of ['containerConcurrency', 'timeoutSeconds']) {
    const v = at(spec, key);
    if (!Number.isInteger(v) || (v as number) <= 0)
      p.push(`spec.template.spec.${key} must be set to a positive integer, got ${JSON.stringify(v)}`);
  }
  const sa = at(spec, 'serviceAccountName');
  if (typeof sa !== 'string' || !sa.trim() || /-compute@developer\.gserviceaccount\.com$/.test(sa)) {
    p.push(
      `serviceAccountName must name a dedicated runtime account (not the Compute Engine default), got ${JSON.stringify(sa)}`,
    );
  }

  const containers = asArray(at(spec, 'containers'));
  if (containers.length !== 1) p.push(`expected one container, got ${containers.length}`);
  const c = containers[0];
  expectValue('memory limit', at(c, 'resources', 'limits', 'memory'), '2Gi');
  const port = at(c, 'ports', 0, 'containerPort');
  expectValue('containerPort', port, 8080);
  const probe = at(c, 'startupProbe', 'httpGet');
  if (!isObj(probe)) p.push('startupProbe.httpGet is missing');
  else {
    expectValue('startupProbe.httpGet.path', probe.path, '/healthz');
    if (probe.port !== undefined && probe.port !== port)
      p.push(`startupProbe.httpGet.port ${JSON.stringify(probe.port)} is not the container port ${String(port)}`);
  }

  const env = new Map<string, Obj>();
  for (const e of asArray(at(c, 'env'))) {
    if (!isObj(e) || typeof e.name !== 'string') {
      p.push(`env entry without a name: ${JSON.stringify(e)}`);
      continue;
    }
    env.set(e.name, e);
    if (!contract.has(e.name)) p.push(`env ${e.name} is not in DESIGN.md's configuration table`);
    if (RESERVED_ENV.includes(e.name)) p.push(`env ${e.name} is reserved by Cloud Run`);
    if ('value' in e && holdsSecret(e.name)) p.push(`env ${e.name} has a literal value: secrets come from Secret Manager`);
    if (typeof e.value === 'string' && /^[A-Za-z0-9+/_=-]{32,}$/.test(e.value))
      p.push(`env ${e.name} looks like a literal secret`);
  }
  // V8 sizes its heap from the host's memory, not the instance's limit: without a cap, a large import
  // grows the heap until the kernel kills the instance (the Cloud Run memory scenario).
  if (!/--max-old-space-size=\d+/.test(String(at(env.get('NODE_OPTIONS'), 'value') ?? '')))
    p.push('env NODE_OPTIONS must cap the JS heap with --max-old-space-size (V8 does not see the memory limit)');
  const passwordFile = at(env.get('ADMIN_PASSWORD_FILE'), 'value');
  if (typeof passwordFile !== 'string') p.push('env ADMIN_PASSWORD_FILE must point to a file in a mounted secret volume');
  else p.push(...secretFileProblems(passwordFile, c, spec));
  const ref = at(env.get('SESSION_SECRET'), 'valueFrom', 'secretKeyRef');
  if (!isObj(ref)) p.push('env SESSION_SECRET must come from valueFrom.secretKeyRef');
  else {
    if (typeof ref.name !== 'string' || !ref.name) p.push('SESSION_SECRET secretKeyRef.name (the secret) is missing');
    if (!SECRET_VERSION.test(String(ref.key)))
      p.push(`SESSION_SECRET secretKeyRef.key must be a version, got ${JSON.stringify(ref.key)}`);
  }
  const replica = at(env.get('LITESTREAM_REPLICA_URL'), 'value');
  if (typeof replica !== 'string' || !replica.startsWith('gcs://')) {
    p.push(`LITESTREAM_REPLICA_URL must be a gcs:// URL (Litestream rejects gs://), got ${JSON.stringify(replica)}`);
  }
  return p;
}

/** Secret Manager secrets a service reads: secret volumes and secretKeyRefs. */
export function secretNamesIn(svc: unknown): string[] {
  const spec = at(svc, 'spec', 'template', 'spec');
  const fromVolumes = asArray(at(spec, 'volumes')).map((v) => at(v, 'secret', 'secretName'));
  const fromEnv = asArray(at(spec, 'containers')).flatMap((c) =>
    asArray(at(c, 'env')).map((e) => at(e, 'valueFrom', 'secretKeyRef', 'name')),
  );
  return [...fromVolumes, ...fromEnv].filter((s): s is string => typeof s === 'string').sort();
}
