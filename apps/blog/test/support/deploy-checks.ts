/**
 * Offline checks of the deploy files (service.yaml, cloudbuild.yaml, Dockerfile, .dockerignore,
 * litestream.yml, scripts/). Each check is a pure function returning a list of problems, so a
 * test can run it on the real file (expect none) and on a deliberately broken copy (expect the
 * problem to be named): a check that cannot fail proves nothing.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

import { parse } from 'yaml';

export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..', '..');
export const readRepo = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObj(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}
export const clone = <T>(v: T): T => structuredClone(v);

/** YAML 1.1 floats as PyYAML and Go read them: a digit is required, so a lone `.` (docker's context) stays a string. */
const STRICT_FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

/**
 * YAML 1.1, the way gcloud (Python) and Go's yaml.v2 (Cloud Build, Litestream) read these files:
 * there `yes`, `on` and `true` are booleans, and `1` a number, whatever the 1.2 spec says. The
 * `yaml` package's 1.1 float also takes a bare `.` (as NaN), which those readers do not.
 */
export function parseYaml(text: string): unknown {
  return parse(text, {
    version: '1.1',
    customTags: (tags) =>
      tags.map((t) =>
        typeof t === 'object' && 'test' in t && t.tag === 'tag:yaml.org,2002:float' && t.test?.test('.')
          ? { ...t, test: STRICT_FLOAT }
          : t,
      ),
  });
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}) {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
  }) as SpawnSyncReturns<string>;
}

/** Every string value in a parsed document, with its path. */
export function strings(v: unknown, path = ''): { path: string; value: string }[] {
  if (typeof v === 'string') return [{ path, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
  return [];
}

// ---------------------------------------------------------------------------------------------
// DESIGN.md: the public configuration contract
// ---------------------------------------------------------------------------------------------

/**
 * Environment names from DESIGN.md's configuration table. `SESSION_SECRET / _FILE / _SECRET`
 * is shorthand for SESSION_SECRET, SESSION_SECRET_FILE, SESSION_SECRET_SECRET. NODE_ENV is named
 * in the same section's prose (production mode).
 */
export function configContract(design: string): Set<string> {
  const start = design.indexOf('## Configuration');
  if (start < 0) throw new Error('DESIGN.md has no "## Configuration" section');
  const end = design.indexOf('\n## ', start + 1);
  const section = design.slice(start, end < 0 ? undefined : end);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const cell = /^\|([^|]+)\|/.exec(line)?.[1].trim();
    if (!cell || cell === 'name' || /^-+$/.test(cell)) continue;
    const parts = cell.split('/').map((s) => s.trim());
    for (const part of parts) names.add(part.startsWith('_') ? parts[0] + part : part);
  }
  if (/\bNODE_ENV\b/.test(section)) names.add('NODE_ENV');
  return names;
}

// ---------------------------------------------------------------------------------------------
// service.yaml
// ---------------------------------------------------------------------------------------------

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

const SECRETISH = /PASSWORD|SECRET|TOKEN|KEY/;
/** Names Cloud Run sets itself and refuses in a service's env. */
const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];
/** A Secret Manager version as Cloud Run takes it: `latest` or a version number. */
export const SECRET_VERSION = /^(latest|[1-9]\d*)$/;

/** ADMIN_PASSWORD is a secret; ADMIN_PASSWORD_FILE (a path) and ADMIN_PASSWORD_SECRET (a version name) are pointers. */
function holdsSecret(name: string): boolean {
  if (name.endsWith('_FILE')) return false;
  if (name.endsWith('_SECRET') && SECRETISH.test(name.slice(0, -'_SECRET'.length))) return false;
  return SECRETISH.test(name);
}

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

// ---------------------------------------------------------------------------------------------
// cloudbuild.yaml
// ---------------------------------------------------------------------------------------------

/** Substitutions Cloud Build provides to every build, `gcloud builds submit` included. */
export const ALWAYS_BUILTINS = [
  'PROJECT_ID',
  'BUILD_ID',
  'PROJECT_NUMBER',
  'LOCATION',
  'SERVICE_ACCOUNT_EMAIL',
  'SERVICE_ACCOUNT',
];
/** Provided only when a trigger starts the build: empty under a plain `gcloud builds submit`. */
export const TRIGGER_BUILTINS = [
  'COMMIT_SHA',
  'SHORT_SHA',
  'REVISION_ID',
  'REPO_NAME',
  'REPO_FULL_NAME',
  'BRANCH_NAME',
  'TAG_NAME',
  'REF_NAME',
  'TRIGGER_NAME',
  'TRIGGER_BUILD_CONFIG_PATH',
  '_HEAD_BRANCH',
  '_BASE_BRANCH',
  '_HEAD_REPO_URL',
  '_PR_NUMBER',
];

/** `$VAR` and `${VAR…}` references in a string (`$$` is an escaped dollar, left to the shell). */
export function substitutionRefs(s: string): string[] {
  const refs: string[] = [];
  for (const m of s.matchAll(/\$(\$|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m[1] === '$') continue;
    refs.push(m[3] ?? /^[A-Za-z_][A-Za-z0-9_]*/.exec(m[2] ?? '')?.[0] ?? `\${${m[2]}}`);
  }
  return refs;
}

export function substitutionProblems(build: unknown): string[] {
  const p: string[] = [];
  const subs = at(build, 'substitutions');
  const defaults = isObj(subs) ? subs : {};
  for (const name of Object.keys(defaults)) {
    if (!/^_[A-Z0-9_]+$/.test(name)) p.push(`substitution ${name}: user substitutions are named _UPPER_CASE`);
  }
  const used = new Set<string>();
  const doc = isObj(build) ? { ...build, substitutions: undefined } : build;
  const refs = [
    ...strings(doc).map((s) => ({ where: s.path, s: s.value })),
    ...Object.entries(defaults).map(([k, v]) => ({ where: `substitutions.${k}`, s: String(v) })),
  ];
  for (const { where, s } of refs) {
    for (const name of substitutionRefs(s)) {
      used.add(name);
      if (TRIGGER_BUILTINS.includes(name))
        p.push(`${where}: $${name} exists only in triggered builds (empty under gcloud builds submit)`);
      else if (ALWAYS_BUILTINS.includes(name)) continue;
      else if (name.startsWith('_')) {
        if (!(name in defaults)) p.push(`${where}: ${name} has no default in substitutions`);
      } else p.push(`${where}: $${name} is not a Cloud Build substitution (write $$${name} for a shell variable)`);
    }
  }
  const loose = at(build, 'options', 'substitutionOption') === 'ALLOW_LOOSE';
  for (const name of Object.keys(defaults)) {
    if (!used.has(name) && !loose) p.push(`substitution ${name} is never used (Cloud Build rejects unmatched substitutions)`);
  }
  const nested = Object.values(defaults).some((v) => substitutionRefs(String(v)).length > 0);
  if (nested && at(build, 'options', 'dynamicSubstitutions') !== true) {
    p.push('substitution defaults refer to other substitutions: options.dynamicSubstitutions must be true');
  }
  return p;
}

/** Replaces `$VAR`/`${VAR}` the way a build would, with the given values (unknown names stay). */
export function substitute(s: string, values: Record<string, string>): string {
  let out = s;
  for (let i = 0; i < 5 && /\$\{?[A-Za-z_]/.test(out); i++) {
    out = out.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (m, a?: string, b?: string) => values[a ?? b ?? ''] ?? m,
    );
  }
  return out;
}

/** Substitution defaults of a build, resolved for a project. */
export function resolvedDefaults(build: unknown, builtins: Record<string, string>): Record<string, string> {
  const subs = at(build, 'substitutions');
  const values: Record<string, string> = { ...builtins };
  if (isObj(subs)) for (const [k, v] of Object.entries(subs)) values[k] = String(v);
  for (const k of Object.keys(values)) values[k] = substitute(values[k], values);
  return values;
}

export const stepCommand = (step: unknown): string =>
  [at(step, 'entrypoint'), ...asArray(at(step, 'args'))].filter((x) => x !== undefined).join(' ');

function dockerTag(args: unknown[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    const m = /^(?:--tag|-t)=(.+)$/.exec(a);
    if (m) return m[1];
    if (a === '--tag' || a === '-t') return String(args[i + 1]);
  }
  return undefined;
}

export function stepEnv(step: unknown): Record<string, string> {
  return Object.fromEntries(
    asArray(at(step, 'env')).map((e) => {
      const [k, ...v] = String(e).split('=');
      return [k, v.join('=')];
    }),
  );
}

/**
 * Runs as a dedicated build account (not a project's default one), logs where such an account may
 * (Cloud Logging, or a bucket of its own), and deploys with the service's own run.app URL.
 */
export function buildIdentityProblems(build: unknown): string[] {
  const p: string[] = [];
  const sa = at(build, 'serviceAccount');
  const email = typeof sa === 'string' ? /^projects\/[^/]+\/serviceAccounts\/([^/]+)$/.exec(sa)?.[1] : undefined;
  if (!email)
    p.push(`serviceAccount must be projects/PROJECT/serviceAccounts/EMAIL of a dedicated build account, got ${String(sa)}`);
  else if (!/^[a-z][a-z0-9-]+@\$\{?PROJECT_ID\}?\.iam\.gserviceaccount\.com$/.test(email))
    p.push(`serviceAccount ${email} is not an account of this project (a default build or compute account has broader rights)`);
  if (at(build, 'logsBucket') === undefined && at(build, 'options', 'logging') !== 'CLOUD_LOGGING_ONLY')
    p.push('a user-specified build account needs options.logging: CLOUD_LOGGING_ONLY (or a logsBucket of its own)');
  const values = resolvedDefaults(build, { PROJECT_ID: 'demo', PROJECT_NUMBER: '123456789012' });
  const own = `https://${values._SERVICE}-123456789012.${values._REGION}.run.app`;
  if (values._SITE_URL !== own) p.push(`_SITE_URL defaults to ${values._SITE_URL}, not the service's own URL ${own}`);
  return p;
}

/** The stages a stage descends from (itself first), following `FROM <stage>`. */
function lineage(stages: Stage[], name: string): Stage[] {
  const out: Stage[] = [];
  for (let s = stages.find((x) => x.name === name); s && out.length < 10; s = stages.find((x) => x.name === s?.base)) out.push(s);
  return out;
}

/**
 * The test step builds the Dockerfile's test stage, which must descend from the stage whose
 * `npm ci` made the node_modules the final stage ships (same Node, same compiled addons, same
 * dist), and must fail when the tests fail.
 */
function testStageProblems(stepArgs: string[], dockerfile: string): string[] {
  const p: string[] = [];
  const target = /--target[= ](\S+)/.exec(stepArgs.join(' '))?.[1];
  if (!target) return ['the test step builds no Dockerfile stage (docker build --target=<test stage>)'];
  const stages = stagesOf(parseDockerfile(dockerfile));
  const tested = lineage(stages, target);
  if (!tested.length) return [`the test step builds --target=${target}, which is no stage of the Dockerfile`];
  const testRun = tested[0].instructions.find((i) => i.keyword === 'RUN' && /\bnpm (test|run test[:\w-]*)\b/.test(i.args));
  if (!testRun) p.push(`stage ${target} runs no tests (npm test / npm run test:…)`);
  else if (/\|\|\s*(true|:|exit 0)/.test(testRun.args)) p.push(`stage ${target} must fail the build when tests fail`);
  const modules = stages
    .at(-1)
    ?.instructions.filter((i) => i.keyword === 'COPY')
    .map((i) => flagsAndWords(i.args))
    .find((c) => c.flags.from && c.words.some((w) => /node_modules\/?$/.test(w)));
  const shipped = modules ? lineage(stages, modules.flags.from) : [];
  const installs = shipped.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)));
  if (!installs || !tested.includes(installs))
    p.push(
      `stage ${target} does not descend from the stage whose npm ci made the shipped node_modules (${installs?.name ?? 'none'}): it tests other builds than the image's`,
    );
  return p;
}

/** test stage → docker build → push (Artifact Registry, tagged by BUILD_ID) → render → gcloud run services replace. */
export function pipelineProblems(build: unknown, renderVars: string[], dockerfile = readRepo('Dockerfile')): string[] {
  const p: string[] = [];
  const steps = asArray(at(build, 'steps'));
  const find = (label: string, pred: (s: unknown) => boolean) => {
    const i = steps.findIndex(pred);
    if (i < 0) p.push(`no ${label} step`);
    return i;
  };
  const args = (s: unknown) => asArray(at(s, 'args')).map(String);
  const docker = (s: unknown) => /(^|\/)docker(:|$)/.test(String(at(s, 'name'))) || at(s, 'entrypoint') === 'docker';
  const isBuild = (s: unknown) => docker(s) && (args(s)[0] === 'build' || (args(s)[0] === 'buildx' && args(s)[1] === 'build'));
  const targets = (s: unknown) => args(s).some((a) => /^--target([= ]|$)/.test(a));
  const test = find("test (docker build --target=<the Dockerfile's test stage>)", (s) => isBuild(s) && targets(s));
  if (test >= 0) {
    if (at(steps[test], 'allowFailure') === true) p.push('the test step must fail the build when tests fail');
    p.push(...testStageProblems(args(steps[test]), dockerfile));
  }
  const buildStep = find('docker build', (s) => isBuild(s) && !targets(s));
  const tag = buildStep >= 0 ? dockerTag(args(steps[buildStep])) : undefined;
  if (buildStep >= 0 && !tag) p.push('the docker build step sets no --tag');
  // Resolved with the defaults (BUILD_ID left as is), e.g. us-central1-docker.pkg.dev/demo/inkstone/inkstone:${BUILD_ID}.
  const resolvedTag = tag && substitute(tag, resolvedDefaults(build, { PROJECT_ID: 'demo-project' }));
  if (resolvedTag && !/^[a-z0-9-]+-docker\.pkg\.dev\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9._/-]+:\$\{?BUILD_ID\}?$/.test(resolvedTag)) {
    p.push(`image tag ${tag} (${resolvedTag}) must be <region>-docker.pkg.dev/<project>/<repository>/<image>:\${BUILD_ID}`);
  }
  const push = find('docker push', (s) => docker(s) && args(s)[0] === 'push');
  if (push >= 0 && tag && args(steps[push])[1] !== tag)
    p.push(`the push step pushes ${args(steps[push])[1]}, not the built ${tag}`);
  const render = find('render (scripts/render-service.sh)', (s) => stepCommand(s).includes('scripts/render-service.sh'));
  if (render >= 0) {
    const env = stepEnv(steps[render]);
    for (const v of renderVars) if (!env[v]) p.push(`the render step does not pass ${v}, which render-service.sh requires`);
    if (tag && env.IMAGE !== tag) p.push(`the render step deploys IMAGE=${env.IMAGE}, not the pushed ${tag}`);
  }
  const deploy = find('gcloud run services replace', (s) => /\brun services replace\s/.test(stepCommand(s)));
  if (render >= 0 && deploy >= 0) {
    const out = />\s*(\S+)/.exec(stepCommand(steps[render]))?.[1];
    const replaced = /\brun services replace\s+(\S+)/.exec(stepCommand(steps[deploy]))?.[1];
    if (!out || out !== replaced) p.push(`the deploy step replaces ${replaced}, but the render step writes ${out}`);
  }
  const order = [test, buildStep, push, render, deploy];
  if (order.every((i) => i >= 0) && order.some((i, k) => k > 0 && i <= order[k - 1])) {
    p.push(`steps are out of order (test, build, push, render, deploy at ${order.join(', ')})`);
  }
  steps.forEach((s, i) => {
    if (asArray(at(s, 'waitFor')).includes('-'))
      p.push(`step ${i} has waitFor: ['-'] and would not wait for the steps before it`);
  });
  if (tag && !asArray(at(build, 'images')).includes(tag)) p.push(`images does not list the pushed tag ${tag}`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore
// ---------------------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/**
 * Instructions of a Dockerfile: comments, parser directives and blank lines dropped, `\`
 * continuations joined (comment lines inside a continuation are dropped, as Docker does).
 * Heredocs are not supported (none in use; the lint test would catch a malformed one).
 */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, ' ');
      return;
    }
    buf += raw;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(buf.trim());
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
    buf = '';
  });
  return out;
}

export interface Stage {
  index: number;
  base: string;
  name?: string;
  instructions: Instruction[];
}

export function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, base: words[0], name: as > 0 ? words[as + 1] : undefined, instructions: [] });
    } else stages.at(-1)?.instructions.push(ins);
  }
  return stages;
}

/** Leading `--flag=value` options and the remaining words (JSON array form understood). */
export function flagsAndWords(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags[m[1]] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  if (rest.startsWith('[')) {
    try {
      return { flags, words: (JSON.parse(rest) as unknown[]).map(String) };
    } catch {
      // not valid JSON: Docker then takes it as shell form
    }
  }
  return { flags, words: rest.split(/\s+/).filter(Boolean) };
}

/** `ENV A=1 B="x y"` and the legacy `ENV A 1`. */
export function envPairs(args: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(args);
    return m ? [[m[1], m[2]]] : [[args, '']];
  }
  const pairs: [string, string][] = [];
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    pairs.push([m[1], m[2].replace(/^(["'])([\s\S]*)\1$/, '$2')]);
  }
  return pairs;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if ('\\^$+.()|{}[]'.includes(c)) re += `\\${c}`;
    else re += c;
  }
  return new RegExp(`^${re}$`);
}

/**
 * The .dockerignore matcher: a path is excluded when the last pattern matching it, or one of its
 * parent directories, is not a `!` exception (Docker's rule). Supports `*`, `?` and `**`.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix
        .normalize((negate ? l.slice(1) : l).trim())
        .replace(/^\/+/, '')
        .replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (path: string) => {
    const parts = posix.normalize(path).replace(/^\.\//, '').split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.re.test(parts.slice(0, i).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

export interface RepoView {
  exists(rel: string): boolean;
  isDir(rel: string): boolean;
  executable(rel: string): boolean;
  files(rel: string): string[];
  ignored(rel: string): boolean;
  /** Defaults start.sh falls back to (APP_DIR, DATABASE_PATH, LITESTREAM_CONFIG, LITESTREAM_BIN…). */
  startDefaults: Record<string, string>;
}

export function shellDefaults(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of script.matchAll(/^([A-Z_][A-Z0-9_]*)=\$\{\1:-([^}]*)\}/gm)) out[m[1]] = m[2];
  return out;
}

export function repoView(dockerignore: string, root = ROOT): RepoView {
  const ignored = dockerignoreMatcher(dockerignore);
  const abs = (rel: string) => join(root, rel);
  const files = (rel: string): string[] =>
    statSync(abs(rel)).isDirectory() ? readdirSync(abs(rel)).flatMap((n) => files(posix.join(rel, n))) : [rel];
  return {
    exists: (rel) => existsSync(abs(rel)),
    isDir: (rel) => existsSync(abs(rel)) && statSync(abs(rel)).isDirectory(),
    executable: (rel) => existsSync(abs(rel)) && (statSync(abs(rel)).mode & 0o111) !== 0,
    files,
    ignored,
    startDefaults: shellDefaults(readFileSync(join(root, 'scripts', 'start.sh'), 'utf8')),
  };
}

const BUILDKIT_FLAGS = ['chmod', 'link', 'parents', 'exclude', 'mount', 'network', 'security', 'checksum', 'keep-git-dir'];

/** BuildKit-only syntax in a Dockerfile: the legacy builder (plain `docker build`) rejects it. */
export function buildkitFeatures(dockerfile: string): string[] {
  const found: string[] = [];
  for (const ins of parseDockerfile(dockerfile)) {
    if (!['COPY', 'ADD', 'RUN'].includes(ins.keyword)) continue;
    const { flags } = flagsAndWords(ins.args);
    for (const f of Object.keys(flags)) if (BUILDKIT_FLAGS.includes(f)) found.push(`line ${ins.line}: ${ins.keyword} --${f}`);
    if (/<<-?\s*["']?[A-Za-z_]+/.test(ins.args)) found.push(`line ${ins.line}: heredoc`);
  }
  return found;
}

export function dockerfileProblems(dockerfile: string, repo: RepoView): string[] {
  const p: string[] = [];
  const stages = stagesOf(parseDockerfile(dockerfile));
  const byRef = (ref: string) => stages.find((s) => s.name === ref || String(s.index) === ref);

  // Node 24 LTS, slim, multi-stage.
  if (stages.length < 2) p.push(`expected a multi-stage build, found ${stages.length} stage(s)`);
  for (const s of stages) {
    let base: string | undefined = s.base;
    for (let hops = 0; base && byRef(base) && hops < 10; hops++) base = byRef(base)?.base;
    if (!/^node:24-slim(@sha256:[0-9a-f]{64})?$/.test(base ?? ''))
      p.push(`stage ${s.name ?? s.index} is FROM ${s.base}, not node:24-slim`);
  }
  const final = stages.at(-1);
  if (!final) return [...p, 'no FROM'];
  const ins = (stage: Stage, kw: string) => stage.instructions.filter((i) => i.keyword === kw);

  // Workdir and COPY destinations of the final stage (absolute paths in the image).
  let workdir = '/';
  const dests = new Map<string, { source: string; from?: string; chmod?: string }>();
  for (const i of final.instructions) {
    if (i.keyword === 'WORKDIR') workdir = posix.resolve(workdir, i.args);
    if (i.keyword === 'COPY' || i.keyword === 'ADD') {
      const { flags, words } = flagsAndWords(i.args);
      const dest = words.at(-1) ?? '';
      const sources = words.slice(0, -1);
      for (const src of sources) {
        const into = dest.endsWith('/') || sources.length > 1;
        const target = posix.resolve(workdir, into ? posix.join(dest, posix.basename(src)) : dest);
        dests.set(target, { source: src, from: flags.from, chmod: flags.chmod });
      }
    }
  }

  // Production node_modules only.
  const modules = [...dests.entries()].find(
    ([target, d]) => d.from && /(^|\/)node_modules\/?$/.test(d.source) && target.endsWith('node_modules'),
  );
  if (!modules) p.push('the final stage does not COPY node_modules from a build stage');
  else {
    const from = byRef(modules[1].from ?? '');
    const pruned = from && ins(from, 'RUN').some((r) => /npm\s+(prune|ci)\b[^&|;]*--omit[= ]dev/.test(r.args));
    if (!pruned)
      p.push(`node_modules comes from stage ${modules[1].from}, which never runs npm prune --omit=dev (or npm ci --omit=dev)`);
  }

  // Litestream from the npm package, not a download.
  if (!/node_modules\/@flydotio\/litestream-linux-x64\//.test(dockerfile))
    p.push('the Litestream binary does not come from node_modules/@flydotio/litestream-linux-x64');
  if (/(curl|wget)\b[^\n]*litestream|ADD\s+https?:/i.test(dockerfile))
    p.push('the Dockerfile downloads something (Litestream must come from the npm package)');

  // Non-root user.
  const user = ins(final, 'USER').at(-1)?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') p.push(`the final stage runs as ${user ?? 'root (no USER)'}`);

  // Environment.
  const env = Object.fromEntries(ins(final, 'ENV').flatMap((e) => envPairs(e.args)));
  if (env.NODE_ENV !== 'production') p.push(`ENV NODE_ENV must be production, got ${JSON.stringify(env.NODE_ENV)}`);
  if (env.PORT !== '8080') p.push(`ENV PORT must be 8080, got ${JSON.stringify(env.PORT)}`);
  if (!env.DATABASE_PATH?.startsWith('/'))
    p.push(`ENV DATABASE_PATH must be an absolute path, got ${JSON.stringify(env.DATABASE_PATH)}`);
  else {
    const dir = posix.dirname(env.DATABASE_PATH);
    const owned = ins(final, 'RUN').some((r) =>
      new RegExp(`chown\\s+(-R\\s+)?${user}(:\\S+)?\\s+[^&;|]*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).test(r.args),
    );
    if (!owned) p.push(`${dir} (DATABASE_PATH's directory) is not chowned to ${user}: the database cannot be written`);
  }
  for (const s of stages) {
    for (const i of [...ins(s, 'ENV'), ...ins(s, 'ARG')]) {
      const pairs = i.keyword === 'ARG' ? [i.args.split('=') as [string, string?]] : envPairs(i.args);
      for (const [k, v] of pairs)
        if (SECRETISH.test(k.toUpperCase()) && v)
          p.push(`line ${i.line}: ${i.keyword} ${k} bakes a secret-looking value into the image`);
    }
  }

  // Paths start.sh uses exist in the image.
  for (const name of ['LITESTREAM_CONFIG', 'LITESTREAM_BIN']) {
    const path = env[name] ?? repo.startDefaults[name];
    if (!path || !dests.has(path)) p.push(`${name}=${path} (start.sh) is not a file the final stage copies in`);
  }
  const appDir = env.APP_DIR ?? repo.startDefaults.APP_DIR;
  if (appDir !== workdir) p.push(`APP_DIR ${appDir} (start.sh) is not the WORKDIR ${workdir}`);

  // Exec-form CMD running scripts/start.sh, present and executable.
  const cmd = ins(final, 'CMD').at(-1);
  const cmdWords = ((): unknown => {
    try {
      return cmd ? JSON.parse(cmd.args) : undefined;
    } catch {
      return undefined; // shell form
    }
  })();
  if (!Array.isArray(cmdWords)) p.push(`CMD must be exec form (a JSON array), got ${cmd?.args ?? 'none'}`);
  else {
    const script = cmdWords.map(String).find((w) => w.endsWith('scripts/start.sh'));
    if (!script) p.push(`CMD ${cmd?.args} does not run scripts/start.sh`);
    else {
      const copied = dests.get(posix.resolve(workdir, script));
      if (!copied || copied.from || copied.source.replace(/^\.\//, '') !== 'scripts/start.sh')
        p.push(`CMD runs ${script}, which is not scripts/start.sh copied from the repo`);
      else if (!(copied.chmod && /[1357]/.test(copied.chmod)) && !repo.executable('scripts/start.sh'))
        p.push('scripts/start.sh is not executable in the image');
    }
  }
  if (ins(final, 'ENTRYPOINT').some((e) => !e.args.startsWith('['))) p.push('a shell-form ENTRYPOINT would not forward signals');

  // Every COPY source exists and survives .dockerignore; --from names a stage.
  for (const s of stages) {
    for (const i of [...ins(s, 'COPY'), ...ins(s, 'ADD')]) {
      const { flags, words } = flagsAndWords(i.args);
      if (flags.from) {
        if (!byRef(flags.from) && !flags.from.includes(':')) p.push(`line ${i.line}: COPY --from=${flags.from} names no stage`);
        continue;
      }
      for (const raw of words.slice(0, -1)) {
        const src = posix.normalize(raw).replace(/^\.\//, '').replace(/\/$/, '');
        if (!repo.exists(src)) p.push(`line ${i.line}: ${raw} does not exist in the repository`);
        else if (repo.ignored(src)) p.push(`line ${i.line}: ${raw} is excluded by .dockerignore`);
        else if (repo.isDir(src) && !repo.files(src).some((f) => !repo.ignored(f)))
          p.push(`line ${i.line}: everything in ${raw} is excluded by .dockerignore`);
      }
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// litestream.yml (v0.3.13)
// ---------------------------------------------------------------------------------------------

/** The yaml tags of Litestream v0.3.13's config structs (cmd/litestream/main.go), level by level. */
export const LITESTREAM_KEYS = {
  top: ['addr', 'dbs', 'exec', 'access-key-id', 'secret-access-key', 'logging'],
  logging: ['level', 'type', 'stderr'],
  db: [
    'path',
    'meta-path',
    'monitor-interval',
    'checkpoint-interval',
    'min-checkpoint-page-count',
    'max-checkpoint-page-count',
    'replicas',
  ],
  replica: [
    'type',
    'name',
    'path',
    'url',
    'retention',
    'retention-check-interval',
    'sync-interval',
    'snapshot-interval',
    'validation-interval',
    'access-key-id',
    'secret-access-key',
    'region',
    'bucket',
    'endpoint',
    'force-path-style',
    'skip-verify',
    'account-name',
    'account-key',
    'host',
    'user',
    'password',
    'key-path',
    'age',
  ],
  age: ['identities', 'recipients'],
};
const DB_DURATIONS = ['monitor-interval', 'checkpoint-interval'];
const REPLICA_DURATIONS = ['retention', 'retention-check-interval', 'sync-interval', 'snapshot-interval', 'validation-interval'];

/** Go's time.ParseDuration syntax. A bare YAML number would decode to nanoseconds, so it must be a string. */
export const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/** os.ExpandEnv, which Litestream applies to the whole file: `$VAR` and `${VAR}`, unset = empty. */
export function expandEnv(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (_, a?: string, b?: string) => env[a ?? b ?? ''] ?? '');
}

export function litestreamProblems(config: unknown): string[] {
  const p: string[] = [];
  const unknown = (v: unknown, allowed: string[], where: string) => {
    if (!isObj(v)) return;
    for (const k of Object.keys(v))
      if (!allowed.includes(k)) p.push(`${where}.${k}: Litestream v0.3.13 does not know this key (it would be ignored)`);
  };
  const duration = (v: unknown, key: string, where: string) => {
    if (!isObj(v) || v[key] === undefined) return;
    const d = v[key];
    if (typeof d !== 'string' || !GO_DURATION.test(d))
      p.push(`${where}.${key}: ${JSON.stringify(d)} is not a Go duration string like "1s"`);
  };
  unknown(config, LITESTREAM_KEYS.top, 'config');
  unknown(at(config, 'logging'), LITESTREAM_KEYS.logging, 'logging');
  const dbs = asArray(at(config, 'dbs'));
  if (!dbs.length) p.push('no dbs');
  dbs.forEach((db, i) => {
    unknown(db, LITESTREAM_KEYS.db, `dbs[${i}]`);
    for (const k of DB_DURATIONS) duration(db, k, `dbs[${i}]`);
    const replicas = asArray(at(db, 'replicas'));
    if (!replicas.length) p.push(`dbs[${i}] has no replicas`);
    replicas.forEach((r, j) => {
      const where = `dbs[${i}].replicas[${j}]`;
      unknown(r, LITESTREAM_KEYS.replica, where);
      unknown(at(r, 'age'), LITESTREAM_KEYS.age, `${where}.age`);
      for (const k of REPLICA_DURATIONS) duration(r, k, where);
      if (at(r, 'sync-interval') === undefined) p.push(`${where}: sync-interval is not set`);
    });
  });
  return p;
}

export function isLoopback(addr: string): boolean {
  const host = /^\[?([^\]]*)\]?:\d+$/.exec(addr)?.[1];
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || (host?.startsWith('127.') ?? false);
}
