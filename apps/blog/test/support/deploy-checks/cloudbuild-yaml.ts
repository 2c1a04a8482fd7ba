/** cloudbuild.yaml: substitutions, the build's identity, and the pipeline test → build → push → render → deploy. */
import { asArray, at, isObj, strings } from './documents.js';
import { flagsAndWords, parseDockerfile, type Stage, stagesOf } from './dockerfile.js';
import { readRepo } from './repo.js';

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
