import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { parse } from 'yaml';

import { ROOT } from '../support/process.js';

/** What the local Cloud Run applies from the rendered service.yaml (the rest is checked by deploy-files). */
export interface ServiceSpec {
  /** Plain env values. */
  env: Record<string, string>;
  /** Env vars filled from Secret Manager: name → the secret and version (`latest` or a number). */
  secretEnv: Record<string, SecretRef>;
  /** Secret volumes: files to mount, path in the instance → the secret and version. */
  secretFiles: { mountPath: string; files: ({ path: string } & SecretRef)[] }[];
  containerPort: number;
  memoryBytes: number;
  concurrency: number;
  timeoutSeconds: number;
  maxScale: number;
  /** run.googleapis.com/cpu-throttling: CPU only while a request is served. */
  cpuThrottling: boolean;
  startupProbe: StartupProbe;
}

/** A secret as service.yaml names it: `secretKeyRef` {name, key} or a volume item's key. */
export interface SecretRef {
  secret: string;
  /** `latest` or a version number, as Cloud Run accepts. */
  version: string;
}

export interface StartupProbe {
  path: string;
  port: number;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

/** The values render-service.sh fills in; SITE_URL is the front proxy's address. */
export type RenderVars = Record<
  'SERVICE' | 'REGION' | 'RUNTIME_SERVICE_ACCOUNT' | 'IMAGE' | 'SITE_URL' | 'BUCKET' | 'ADMIN_USERNAME',
  string
>;

/** Renders service.yaml with the project's own script (the file Cloud Run would get) and reads it. */
export function renderServiceSpec(vars: RenderVars): { yaml: string; spec: ServiceSpec } {
  const yaml = execFileSync('sh', [join(ROOT, 'scripts', 'render-service.sh'), join(ROOT, 'service.yaml')], {
    env: { PATH: process.env.PATH ?? '', ...vars },
    encoding: 'utf8',
  });
  return { yaml, spec: readServiceSpec(yaml) };
}

interface KnativeContainer {
  ports?: { containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  resources?: { limits?: { memory?: string } };
  startupProbe?: {
    httpGet?: { path?: string; port?: number };
    initialDelaySeconds?: number;
    periodSeconds?: number;
    timeoutSeconds?: number;
    failureThreshold?: number;
  };
  volumeMounts?: { name: string; mountPath: string }[];
}

export function readServiceSpec(text: string): ServiceSpec {
  const doc = parse(text) as {
    spec: {
      template: {
        metadata: { annotations: Record<string, string> };
        spec: {
          containerConcurrency?: number;
          timeoutSeconds?: number;
          containers: KnativeContainer[];
          volumes?: { name: string; secret: { secretName: string; items: { key: string; path: string }[] } }[];
        };
      };
    };
  };
  const template = doc.spec.template;
  const [container] = template.spec.containers;
  const env: Record<string, string> = {};
  const secretEnv: Record<string, SecretRef> = {};
  for (const entry of container.env ?? []) {
    if (entry.valueFrom) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      secretEnv[entry.name] = { secret: name, version: secretVersion(key, entry.name) };
    } else env[entry.name] = entry.value ?? '';
  }
  const secretFiles = (container.volumeMounts ?? []).map((mount) => {
    const volume = template.spec.volumes?.find((v) => v.name === mount.name);
    if (!volume?.secret) throw new Error(`volume ${mount.name}: only secret volumes are supported`);
    return {
      mountPath: mount.mountPath,
      files: volume.secret.items.map((item) => ({
        path: item.path,
        secret: volume.secret.secretName,
        version: secretVersion(item.key, mount.name),
      })),
    };
  });
  const probe = container.startupProbe ?? {};
  const port = container.ports?.[0]?.containerPort ?? 8080;
  // Cloud Run's defaults for a startup probe without fields (TCP is not used by service.yaml).
  if (!probe.httpGet) throw new Error('service.yaml: the startup probe must be an httpGet probe');
  const annotations = template.metadata.annotations;
  return {
    env,
    secretEnv,
    secretFiles,
    containerPort: port,
    memoryBytes: parseQuantity(container.resources?.limits?.memory ?? '512Mi'),
    concurrency: template.spec.containerConcurrency ?? 80,
    timeoutSeconds: template.spec.timeoutSeconds ?? 300,
    maxScale: Number(annotations['autoscaling.knative.dev/maxScale'] ?? 100),
    cpuThrottling: annotations['run.googleapis.com/cpu-throttling'] !== 'false',
    startupProbe: {
      path: probe.httpGet.path ?? '/',
      port: probe.httpGet.port ?? port,
      initialDelaySeconds: probe.initialDelaySeconds ?? 0,
      periodSeconds: probe.periodSeconds ?? 10,
      timeoutSeconds: probe.timeoutSeconds ?? 1,
      failureThreshold: probe.failureThreshold ?? 3,
    },
  };
}

/** Cloud Run takes `latest` or a version number as a secret's key; anything else is refused at deploy. */
function secretVersion(key: string, where: string): string {
  if (key !== 'latest' && !/^[1-9]\d*$/.test(key))
    throw new Error(`${where}: secret version must be "latest" or a number, got "${key}"`);
  return key;
}

/** Kubernetes quantities as service.yaml uses them: 512Mi, 1Gi, 2G. */
export function parseQuantity(q: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(q);
  if (!match) throw new Error(`unsupported memory quantity: ${q}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}
