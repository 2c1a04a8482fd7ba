import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import dockerfileUtils from 'dockerfile-utils';

import {
  annotationProblems,
  asArray,
  at,
  buildIdentityProblems,
  buildkitFeatures,
  clone,
  cloudRunProblems,
  configContract,
  dockerfileProblems,
  dockerignoreMatcher,
  expandEnv,
  GO_DURATION,
  isLoopback,
  isObj,
  leftoverPlaceholders,
  LITESTREAM_KEYS,
  litestreamProblems,
  mutate,
  type Obj,
  parseDockerfile,
  parseYaml,
  pipelineProblems,
  readRepo,
  RENDER_ENV,
  renderService,
  repoView,
  resolvedDefaults,
  ROOT,
  run,
  secretNamesIn,
  shellDefaults,
  stepCommand,
  stepEnv,
  substitute,
  substitutionProblems,
  substitutionRefs,
} from './support/deploy-checks/index.js';
import { loadBuildType, toBuildMessage } from './support/deploy-proto.js';

/**
 * The deploy files, checked offline (no Docker, no Google Cloud here): service.yaml against the
 * Knative schema and Cloud Run's own rules, cloudbuild.yaml against the Build proto, the
 * Dockerfile with a linter and the image's rules, the scripts by running them (gcloud faked), and
 * litestream.yml against v0.3.13's keys and the real binary. Every rule is also run on a broken
 * copy, to show it can fail.
 */

const requireCjs = createRequire(import.meta.url);
const LITESTREAM_BIN = join(dirname(requireCjs.resolve('@flydotio/litestream-linux-x64/package.json')), 'litestream');
const itWithLitestream = process.platform === 'linux' && process.arch === 'x64' ? it : it.skip;

const CONTRACT = configContract(readRepo('DESIGN.md'));
const RENDER_VARS = (/NAMES='([A-Z_ ]+)'/.exec(readRepo('scripts/render-service.sh'))?.[1] ?? '').trim().split(/\s+/);

function renderedService(env: Record<string, string> = RENDER_ENV): unknown {
  const r = renderService(env);
  if (r.status !== 0) throw new Error(`render-service.sh failed: ${r.stderr}`);
  return parseYaml(r.stdout);
}

function knativeErrors(doc: unknown): string {
  try {
    new Service(doc as ConstructorParameters<typeof Service>[0]).validate();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

const envEntry = (svc: unknown, name: string): Obj => {
  const e = asArray(at(svc, 'spec', 'template', 'spec', 'containers', 0, 'env')).find((x) => at(x, 'name') === name);
  if (!isObj(e)) throw new Error(`no env ${name}`);
  return e;
};

describe('service.yaml', () => {
  it('parses as YAML 1.1 (as gcloud reads it) into a serving.knative.dev/v1 Service with placeholders', () => {
    const doc = parseYaml(readRepo('service.yaml'));
    expect(at(doc, 'apiVersion')).toBe('serving.knative.dev/v1');
    expect(at(doc, 'kind')).toBe('Service');
    expect(leftoverPlaceholders(doc).length).toBeGreaterThan(0);
  });

  it('renders with scripts/render-service.sh into a document with no ${…} left', () => {
    const doc = renderedService();
    expect(leftoverPlaceholders(doc)).toEqual([]);
    expect(at(doc, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(RENDER_ENV.IMAGE);
    expect(at(doc, 'metadata', 'name')).toBe(RENDER_ENV.SERVICE);
    // The check itself sees a placeholder the script would have missed.
    const broken = clone(doc);
    (at(broken, 'metadata') as Obj).name = '${SERVICE}';
    expect(leftoverPlaceholders(broken)).toEqual(['metadata.name: ${SERVICE}']);
  });

  it.each(RENDER_VARS)('render-service.sh fails (non-zero, names it) when %s is missing', (name) => {
    expect(RENDER_VARS).toHaveLength(7);
    const env: Record<string, string> = { ...RENDER_ENV };
    delete env[name];
    const r = renderService(env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(name);
    expect(r.stdout).toBe('');
    // Empty counts as missing.
    expect(renderService({ ...RENDER_ENV, [name]: '' }).status).not.toBe(0);
  });

  it('render-service.sh refuses a template with a placeholder it does not fill', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkstone-render-'));
    try {
      writeFileSync(
        join(dir, 'service.yaml'),
        mutate(readRepo('service.yaml'), "value: '${SITE_URL}'", "value: '${SITE_ORIGIN}'"),
      );
      const r = renderService(RENDER_ENV, join(dir, 'service.yaml'), dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/unfilled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates against the Knative serving.knative.dev/v1 Service schema once rendered', () => {
    const doc = renderedService();
    expect(knativeErrors(doc)).toBe('');
    const broken = clone(doc);
    (at(broken, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0) as Obj).containerPort = '8080';
    envEntry(broken, 'SITE_URL').value = 443;
    const errors = knativeErrors(broken);
    expect(errors).toMatch(/containerPort must be integer/);
    expect(errors).toMatch(/env\/0\/value must be string/);
  });

  it('keeps every value a string whatever the operator passes (a numeric ADMIN_USERNAME such as 2024)', () => {
    // `value: ${ADMIN_USERNAME}` is unquoted: a username of 2024 renders to a YAML number, which
    // the Cloud Run API rejects for an env value. Quote the placeholders in service.yaml.
    const doc = renderedService({ ...RENDER_ENV, ADMIN_USERNAME: '2024' });
    expect(knativeErrors(doc)).toBe('');
  });

  it('has only string annotation and label values (the check catches unquoted 1, true and yes)', () => {
    expect(annotationProblems(renderedService())).toEqual([]);
    let text = readRepo('service.yaml');
    text = mutate(text, "run.googleapis.com/maxScale: '1'", 'run.googleapis.com/maxScale: 1');
    text = mutate(text, "run.googleapis.com/startup-cpu-boost: 'true'", 'run.googleapis.com/startup-cpu-boost: true');
    text = mutate(text, "run.googleapis.com/cpu-throttling: 'true'", 'run.googleapis.com/cpu-throttling: yes');
    const problems = annotationProblems(parseYaml(text));
    expect(problems).toEqual([
      'metadata.annotations["run.googleapis.com/maxScale"] must be a string, got number 1',
      'spec.template.metadata.annotations["run.googleapis.com/startup-cpu-boost"] must be a string, got boolean true',
      'spec.template.metadata.annotations["run.googleapis.com/cpu-throttling"] must be a string, got boolean true',
    ]);
  });

  it("takes its env names from DESIGN.md's configuration table", () => {
    for (const name of [
      'PORT',
      'DATABASE_PATH',
      'SITE_URL',
      'ADMIN_USERNAME',
      'ADMIN_PASSWORD_FILE',
      'SESSION_SECRET',
      'SESSION_SECRET_FILE',
    ]) {
      expect(CONTRACT).toContain(name);
    }
    expect(CONTRACT).toContain('LITESTREAM_REPLICA_URL');
    expect(CONTRACT).not.toContain('name');
  });

  it('follows the Cloud Run rules the schema does not know', () => {
    expect(cloudRunProblems(renderedService(), CONTRACT)).toEqual([]);
  });

  const base = () => renderedService();
  const tpl = (svc: unknown) => at(svc, 'spec', 'template') as Obj;
  const spec = (svc: unknown) => at(svc, 'spec', 'template', 'spec') as Obj;
  const container = (svc: unknown) => at(svc, 'spec', 'template', 'spec', 'containers', 0) as Obj;
  const annotations = (o: unknown) => at(o, 'metadata', 'annotations') as Obj;
  const brokenServices: [string, (svc: unknown) => void, string][] = [
    [
      'service-level maxScale 2',
      (s) => (annotations(s)['run.googleapis.com/maxScale'] = '2'),
      'run.googleapis.com/maxScale must be "1"',
    ],
    [
      'no template maxScale',
      (s) => delete annotations(tpl(s))['autoscaling.knative.dev/maxScale'],
      'autoscaling.knative.dev/maxScale must be "1"',
    ],
    [
      'gen1',
      (s) => (annotations(tpl(s))['run.googleapis.com/execution-environment'] = 'gen1'),
      'execution-environment must be "gen2"',
    ],
    [
      'no startup boost',
      (s) => delete annotations(tpl(s))['run.googleapis.com/startup-cpu-boost'],
      'startup-cpu-boost must be "true"',
    ],
    [
      'instance-based billing',
      (s) => (annotations(tpl(s))['run.googleapis.com/cpu-throttling'] = 'false'),
      'cpu-throttling must be "true"',
    ],
    ['1Gi memory', (s) => ((at(container(s), 'resources', 'limits') as Obj).memory = '1Gi'), 'memory limit must be "2Gi"'],
    [
      'no heap cap',
      (s) =>
        (container(s).env as Obj[]).splice(
          (container(s).env as Obj[]).findIndex((e) => e.name === 'NODE_OPTIONS'),
          1,
        ),
      'NODE_OPTIONS must cap the JS heap',
    ],
    ['no containerConcurrency', (s) => delete spec(s).containerConcurrency, 'containerConcurrency must be set'],
    ['no timeoutSeconds', (s) => delete spec(s).timeoutSeconds, 'timeoutSeconds must be set'],
    [
      'probe on /',
      (s) => ((at(container(s), 'startupProbe', 'httpGet') as Obj).path = '/'),
      'startupProbe.httpGet.path must be "/healthz"',
    ],
    ['probe on 9090', (s) => ((at(container(s), 'startupProbe', 'httpGet') as Obj).port = 9090), 'is not the container port'],
    ['port 3000', (s) => ((at(container(s), 'ports', 0) as Obj).containerPort = 3000), 'containerPort must be 8080'],
    ['default account', (s) => delete spec(s).serviceAccountName, 'serviceAccountName must name a dedicated runtime account'],
    [
      'compute account',
      (s) => (spec(s).serviceAccountName = '123-compute@developer.gserviceaccount.com'),
      'serviceAccountName must name a dedicated runtime account',
    ],
    [
      'password file outside the mount',
      (s) => (envEntry(s, 'ADMIN_PASSWORD_FILE').value = '/etc/password'),
      'is not inside any volumeMount',
    ],
    [
      'secret item key not a version',
      (s) => ((at(spec(s), 'volumes', 0, 'secret', 'items', 0) as Obj).key = 'password'),
      "must be a version ('latest' or a number)",
    ],
    ['no secretName', (s) => delete (at(spec(s), 'volumes', 0, 'secret') as Obj).secretName, 'has no secret.secretName'],
    [
      'literal session secret',
      (s) => Object.assign(envEntry(s, 'SESSION_SECRET'), { value: 'x'.repeat(40), valueFrom: undefined }),
      'SESSION_SECRET has a literal value',
    ],
    [
      'secretKeyRef without key',
      (s) => delete (at(envEntry(s, 'SESSION_SECRET'), 'valueFrom', 'secretKeyRef') as Obj).key,
      'secretKeyRef.key must be a version',
    ],
    ['gs:// replica', (s) => (envEntry(s, 'LITESTREAM_REPLICA_URL').value = 'gs://bucket/inkstone.db'), 'must be a gcs:// URL'],
    [
      'env outside the contract',
      (s) => asArray(container(s).env).push({ name: 'DB_FILE', value: '/data/x.db' }),
      "DB_FILE is not in DESIGN.md's configuration table",
    ],
    [
      'reserved PORT',
      (s) => asArray(container(s).env).push({ name: 'PORT', value: '8080' }),
      'env PORT is reserved by Cloud Run',
    ],
    [
      'literal password',
      (s) => asArray(container(s).env).push({ name: 'ADMIN_PASSWORD', value: 'correct horse' }),
      'ADMIN_PASSWORD has a literal value',
    ],
  ];
  it.each(brokenServices)('the Cloud Run rules catch a broken copy: %s', (_name, breakIt, expected) => {
    const svc = base();
    breakIt(svc);
    expect(cloudRunProblems(svc, CONTRACT).join('\n')).toContain(expected);
  });
});

describe('cloudbuild.yaml', () => {
  const Build = loadBuildType();
  const build = () => parseYaml(readRepo('cloudbuild.yaml'));

  it('is a google.devtools.cloudbuild.v1.Build: no unknown keys, Build.verify passes', () => {
    const { message, problems } = toBuildMessage(Build, build());
    expect(problems).toEqual([]);
    expect(Build.verify(message)).toBeNull();
    expect(asArray(message.steps).length).toBeGreaterThanOrEqual(5);
  });

  it('the proto check catches unknown keys, bad enums, durations and types (and accepts snake_case)', () => {
    const b = build() as Obj;
    const steps = asArray(b.steps) as Obj[];
    steps[0].entryPoint = steps[0].entrypoint;
    delete steps[0].entrypoint;
    steps[1].waitfor = ['test'];
    steps[2].wait_for = ['build']; // the proto's own field name: valid
    (b.options as Obj).logging = 'CLOUD_LOGGING';
    (b.options as Obj).dynamicSubstitution = true;
    b.timeout = '30m';
    b.option = {};
    const { problems } = toBuildMessage(Build, b);
    const all = problems.join('\n');
    expect(all).toContain('build.steps[0].entryPoint: not a field of BuildStep');
    expect(all).toContain('build.steps[1].waitfor: not a field of BuildStep');
    expect(all).not.toContain('wait_for');
    expect(all).toContain('build.options.logging: "CLOUD_LOGGING" is not one of');
    expect(all).toContain('build.options.dynamicSubstitution: not a field of BuildOptions');
    expect(all).toContain('build.timeout: a duration is a string of seconds');
    expect(all).toContain('build.option: not a field of Build');
    // Build.verify reports one type error at a time: a number where the proto wants a string.
    const typed = build() as Obj;
    (typed.substitutions as Obj)._PORT = 8080;
    expect(toBuildMessage(Build, typed).problems).toEqual(['Build.verify: substitutions: string{k:string} expected']);
  });

  it('uses only always-available built-ins and _VARs with defaults (works under plain gcloud builds submit)', () => {
    expect(substitutionProblems(build())).toEqual([]);
    expect(substitutionRefs('a $$HOME ${_X:-y} $PROJECT_ID ${BUILD_ID}')).toEqual(['_X', 'PROJECT_ID', 'BUILD_ID']);
  });

  it('the substitution check catches trigger-only built-ins, undeclared or unused _VARs and shell variables', () => {
    const b = build() as Obj;
    const steps = asArray(b.steps) as Obj[];
    asArray(steps[0].args).push('echo ${SHORT_SHA} $BRANCH_NAME ${_UNDECLARED} $HOME $$PATH');
    (b.substitutions as Obj)._EXTRA = 'unused';
    (b.options as Obj).dynamicSubstitutions = false;
    const all = substitutionProblems(b).join('\n');
    expect(all).toContain('$SHORT_SHA exists only in triggered builds');
    expect(all).toContain('$BRANCH_NAME exists only in triggered builds');
    expect(all).toContain('_UNDECLARED has no default');
    expect(all).toContain('$HOME is not a Cloud Build substitution');
    expect(all).not.toContain('PATH');
    expect(all).toContain('substitution _EXTRA is never used');
    expect(all).toContain('options.dynamicSubstitutions must be true');
  });

  it("tests in the Dockerfile's test stage, builds, pushes to Artifact Registry by BUILD_ID, renders and replaces the service, in that order", () => {
    expect(RENDER_VARS.length).toBeGreaterThan(0);
    expect(pipelineProblems(build(), RENDER_VARS)).toEqual([]);
  });

  /** Steps found by what they do, not by position, so the mutations survive a reordering. */
  const stepIndex = (b: Obj, what: RegExp) =>
    asArray(b.steps).findIndex((s) => what.test(`${String(at(s, 'name'))} ${stepCommand(s)}`));
  const step = (b: Obj, what: RegExp) => asArray(b.steps)[stepIndex(b, what)] as Obj;
  const TEST = /docker build --target/;
  const BUILD = /docker build --tag/;
  const PUSH = /docker push\b/;
  const RENDER = /render-service\.sh/;
  const DEPLOY = /services replace/;
  const brokenBuilds: [string, (b: Obj) => void, string][] = [
    [
      'push before build',
      (b) => {
        const s = asArray(b.steps);
        const [i, j] = [stepIndex(b, BUILD), stepIndex(b, PUSH)];
        [s[i], s[j]] = [s[j], s[i]];
      },
      'steps are out of order',
    ],
    [
      'tests in node:24 beside the image (other headers, no Chromium)',
      (b) => Object.assign(step(b, TEST), { name: 'node:24', entrypoint: 'bash', args: ['-c', 'npm ci && npm test'], env: [] }),
      'no test (docker build --target=',
    ],
    ['tests that cannot fail', (b) => (step(b, TEST).allowFailure = true), 'the test step must fail the build'],
    [
      'a target that is no stage',
      (b) => (step(b, TEST).args = ['build', '--target=tests', '.']),
      'builds --target=tests, which is no stage of the Dockerfile',
    ],
    [
      'tag by SHORT_SHA',
      (b) => (b.steps = JSON.parse(JSON.stringify(b.steps).replaceAll('${BUILD_ID}', '${SHORT_SHA}')) as unknown),
      ':${BUILD_ID}',
    ],
    [
      'pushed to gcr.io',
      (b) => (b.steps = JSON.parse(JSON.stringify(b.steps).replaceAll('-docker.pkg.dev', '.gcr.io')) as unknown),
      'docker.pkg.dev',
    ],
    ['no images', (b) => (b.images = []), 'images does not list the pushed tag'],
    [
      'render without BUCKET',
      (b) => (step(b, RENDER).env = asArray(step(b, RENDER).env).filter((e) => !String(e).startsWith('BUCKET='))),
      'does not pass BUCKET',
    ],
    [
      'deploys another file',
      (b) => (step(b, DEPLOY).args = ['run', 'services', 'replace', 'service.yaml']),
      'the deploy step replaces service.yaml',
    ],
    ['parallel deploy', (b) => (step(b, DEPLOY).waitFor = ['-']), "waitFor: ['-']"],
  ];
  it.each(brokenBuilds)('the pipeline check catches a broken copy: %s', (_name, breakIt, expected) => {
    const b = build() as Obj;
    breakIt(b);
    expect(pipelineProblems(b, RENDER_VARS).join('\n')).toContain(expected);
  });

  it.each([
    [
      'tests that cannot fail',
      'RUN npm run test:image',
      'RUN npm run test:image || true',
      'stage test must fail the build when tests fail',
    ],
    ['a test stage without tests', 'RUN npm run test:image', 'RUN npm run build', 'stage test runs no tests'],
    [
      'a test stage with its own install (other addon builds than the image)',
      'FROM build AS test',
      'FROM node:24-slim AS test\nRUN npm ci',
      'stage test does not descend from the stage whose npm ci made the shipped node_modules (build)',
    ],
  ])('the pipeline check catches a broken Dockerfile test stage: %s', (_name, from, to, expected) => {
    expect(pipelineProblems(build(), RENDER_VARS)).toEqual([]);
    const dockerfile = mutate(readRepo('Dockerfile'), from, to);
    expect(pipelineProblems(build(), RENDER_VARS, dockerfile).join('\n')).toContain(expected);
  });

  it("runs as a dedicated build account, logs to Cloud Logging, and deploys with the service's own run.app URL", () => {
    expect(buildIdentityProblems(build())).toEqual([]);
    expect(resolvedDefaults(build(), { PROJECT_ID: 'demo', PROJECT_NUMBER: '42' })._SITE_URL).toBe(
      'https://inkstone-42.us-central1.run.app',
    );
  });

  it.each([
    ['no serviceAccount', (b: Obj) => delete b.serviceAccount, 'serviceAccount must be projects/PROJECT/serviceAccounts/EMAIL'],
    [
      'the compute default account',
      (b: Obj) =>
        (b.serviceAccount = 'projects/$PROJECT_ID/serviceAccounts/$PROJECT_NUMBER-compute@developer.gserviceaccount.com'),
      'is not an account of this project',
    ],
    ['logs to the default bucket', (b: Obj) => delete (b.options as Obj).logging, 'needs options.logging: CLOUD_LOGGING_ONLY'],
    [
      'a placeholder SITE_URL',
      (b: Obj) => ((b.substitutions as Obj)._SITE_URL = 'https://inkstone.example.com'),
      '_SITE_URL defaults to https://inkstone.example.com, not the service',
    ],
  ])('the build identity check catches a broken copy: %s', (_name, breakIt, expected) => {
    const b = build() as Obj;
    breakIt(b);
    expect(buildIdentityProblems(b).join('\n')).toContain(expected);
  });

  it("the docker step can build this Dockerfile: BuildKit-only syntax needs DOCKER_BUILDKIT=1 (Cloud Build's docker builder defaults to the legacy builder)", () => {
    // Every step that builds the Dockerfile (the test stage and the image).
    const problems = (dockerfile: string, b: unknown): string[] => {
      const steps = asArray(at(b, 'steps')).filter((s) => at(s, 'args', 0) === 'build' || at(s, 'args', 0) === 'buildx');
      const features = buildkitFeatures(dockerfile);
      return steps
        .filter((step) => !(stepEnv(step).DOCKER_BUILDKIT === '1' || at(step, 'args', 0) === 'buildx'))
        .filter(() => features.length)
        .map((step) => `step ${String(at(step, 'id'))} uses the legacy builder, which rejects ${features.join('; ')}`);
    };
    const dockerfile = readRepo('Dockerfile');
    const withBuildkit = build() as Obj;
    step(withBuildkit, BUILD).env = ['DOCKER_BUILDKIT=1'];
    expect(problems(dockerfile, withBuildkit)).toEqual([]);
    const legacy = build() as Obj;
    delete step(legacy, BUILD).env;
    expect(problems('FROM node:24-slim\nCOPY --chmod=755 a b\n', legacy)).toHaveLength(1);
    expect(problems('FROM node:24-slim\nRUN --mount=type=cache,target=/root/.npm npm ci\n', legacy)).toHaveLength(1);
    expect(problems(dockerfile, build())).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepo('Dockerfile');
  const dockerignore = readRepo('.dockerignore');
  const repo = repoView(dockerignore);

  it('lints with dockerfile-utils with no errors (warnings are reported)', () => {
    const diagnostics = dockerfileUtils.validate(dockerfile);
    const warnings = diagnostics.filter((d) => d.severity !== 1);
    if (warnings.length)
      console.warn(
        `Dockerfile lint warnings:\n${warnings.map((d) => `  line ${d.range.start.line + 1}: ${d.message}`).join('\n')}`,
      );
    expect(diagnostics.filter((d) => d.severity === 1).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    const broken = dockerfileUtils.validate(`${dockerfile}\nEXPOSE http\nCOPY lonely\n`).filter((d) => d.severity === 1);
    expect(broken.map((d) => d.message)).toEqual(
      expect.arrayContaining(['Invalid containerPort: http', 'COPY requires at least two arguments']),
    );
  });

  it('parses into a build, a test, a runtime-files and a final stage (sanity of the parser the rules use)', () => {
    const parsed = parseDockerfile(dockerfile);
    expect(parsed.filter((i) => i.keyword === 'FROM').map((i) => i.args)).toEqual([
      'node:24-slim AS build',
      'build AS test',
      'build AS runtime-files',
      'node:24-slim',
    ]);
    // The comment inside the RUN continuation is dropped, not taken for an instruction.
    expect(parsed.map((i) => i.keyword)).not.toContain('#');
    expect(parsed.find((i) => i.args.startsWith('npm prune'))?.args).toMatch(
      /npm prune --omit=dev.*litestream-linux-x64\/litestream/,
    );
  });

  it('follows the image rules: Node 24 slim, pruned modules, npm Litestream, non-root, exec CMD, env, copy sources', () => {
    expect(dockerfileProblems(dockerfile, repo)).toEqual([]);
  });

  const brokenDockerfiles: [string, string | RegExp, string, string][] = [
    [
      'Node 22 build stage',
      'FROM node:24-slim AS build',
      'FROM node:22-slim AS build',
      'stage build is FROM node:22-slim, not node:24-slim',
    ],
    ['full node image at run time', /FROM node:24-slim\n(?!.*AS)/, 'FROM node:24\n', 'is FROM node:24, not node:24-slim'],
    ['single stage', /^FROM [\s\S]*?(?=^FROM node:24-slim$)/m, '', 'expected a multi-stage build'],
    ['dev dependencies shipped', 'npm prune --omit=dev', 'npm prune', 'never runs npm prune --omit=dev'],
    [
      'Litestream downloaded',
      'cp node_modules/@flydotio/litestream-linux-x64/litestream /tmp/litestream',
      'curl -L -o /tmp/litestream https://github.com/benbjohnson/litestream/releases/latest/litestream',
      'does not come from node_modules/@flydotio/litestream-linux-x64',
    ],
    ['root user', 'USER node', 'USER root', 'runs as root'],
    ['shell-form CMD', 'CMD ["/app/scripts/start.sh"]', 'CMD /app/scripts/start.sh', 'CMD must be exec form'],
    [
      'CMD runs node directly',
      'CMD ["/app/scripts/start.sh"]',
      'CMD ["node", "dist/apps/blog/src/main.js"]',
      'does not run scripts/start.sh',
    ],
    ['development env', 'NODE_ENV=production', 'NODE_ENV=development', 'ENV NODE_ENV must be production'],
    ['port 3000', 'PORT=8080', 'PORT=3000', 'ENV PORT must be 8080'],
    ['no DATABASE_PATH', /\n\s*DATABASE_PATH=\S+ \\/, '', 'ENV DATABASE_PATH must be an absolute path'],
    [
      'secret build arg',
      'FROM node:24-slim AS build\n',
      'FROM node:24-slim AS build\nARG SESSION_SECRET=changeme-changeme\n',
      'ARG SESSION_SECRET bakes a secret',
    ],
    ['secret env', 'ENV NODE_ENV=production', 'ENV API_TOKEN=abc123 NODE_ENV=production', 'ENV API_TOKEN bakes a secret'],
    [
      'missing source',
      'COPY litestream.yml /etc/litestream.yml',
      'COPY litestream.yaml /etc/litestream.yml',
      'litestream.yaml does not exist',
    ],
    [
      'ignored source',
      'COPY apps/blog/views',
      'COPY README.md ./README.md\nCOPY apps/blog/views',
      'README.md is excluded by .dockerignore',
    ],
    [
      'unknown stage',
      'COPY --from=runtime-files /app/dist',
      'COPY --from=builder /app/dist',
      'COPY --from=builder names no stage',
    ],
    [
      'database dir not writable',
      'mkdir -p /data && chown node:node /data',
      'mkdir -p /data',
      "/data (DATABASE_PATH's directory) is not chowned to node",
    ],
    [
      'binary elsewhere',
      'LITESTREAM_BIN=/usr/local/bin/litestream',
      'LITESTREAM_BIN=/usr/bin/litestream',
      'LITESTREAM_BIN=/usr/bin/litestream (start.sh) is not a file',
    ],
    [
      'config not copied',
      'COPY litestream.yml /etc/litestream.yml\n',
      '',
      'LITESTREAM_CONFIG=/etc/litestream.yml (start.sh) is not a file',
    ],
  ];
  it.each(brokenDockerfiles)('the image rules catch a broken copy: %s', (_name, from, to, expected) => {
    expect(dockerfileProblems(mutate(dockerfile, from, to), repo).join('\n')).toContain(expected);
  });

  it('.dockerignore excludes node_modules, dist, data, .git and *.db files (the matcher is Docker’s rule)', () => {
    const required = [
      'node_modules/express/index.js',
      'dist/apps/blog/src/main.js',
      'data/inkstone.db',
      '.git/HEAD',
      'inkstone.db',
      'apps/blog/tmp/x.db',
    ];
    const missed = (text: string) => required.filter((p) => !dockerignoreMatcher(text)(p));
    expect(missed(dockerignore)).toEqual([]);
    expect(missed(mutate(mutate(dockerignore, /^\*\*\/\*\.db$/m, ''), /^node_modules$/m, ''))).toEqual([
      'node_modules/express/index.js',
      'inkstone.db',
      'apps/blog/tmp/x.db',
    ]);
    // The matcher: ** spans directories, * does not, the last matching rule wins, ! re-includes.
    const m = dockerignoreMatcher('*.md\n**/*.log\nsecret/\n!secret/keep.txt\n');
    expect([m('README.md'), m('docs/README.md'), m('a/b/c.log'), m('x.log'), m('secret/a'), m('secret/keep.txt')]).toEqual([
      true,
      false,
      true,
      true,
      true,
      false,
    ]);
    // What the build needs is in the context.
    for (const p of [
      'package.json',
      'package-lock.json',
      'apps/blog/src/main.ts',
      'libs/content/src/index.ts',
      'scripts/start.sh',
      'litestream.yml',
    ]) {
      expect([p, dockerignoreMatcher(dockerignore)(p)]).toEqual([p, false]);
    }
  });

  itWithLitestream(
    'uses one Litestream everywhere: package.json = lockfile = node_modules = the v0.3.13 the config is written for',
    () => {
      const pkg = JSON.parse(readRepo('package.json')) as Obj;
      const lock = JSON.parse(readRepo('package-lock.json')) as Obj;
      const wanted = at(pkg, 'optionalDependencies', '@flydotio/litestream-linux-x64');
      expect(wanted).toMatch(/^\d+\.\d+\.\d+$/); // exact, not a range
      expect(at(lock, 'packages', '', 'optionalDependencies', '@flydotio/litestream-linux-x64')).toBe(wanted);
      expect(at(lock, 'packages', 'node_modules/@flydotio/litestream-linux-x64', 'version')).toBe(wanted);
      expect((JSON.parse(readFileSync(join(dirname(LITESTREAM_BIN), 'package.json'), 'utf8')) as Obj).version).toBe(wanted);
      const version = run(LITESTREAM_BIN, ['version']).stdout.trim();
      expect(version).toBe(/Litestream (v\d+\.\d+\.\d+)/.exec(readRepo('litestream.yml'))?.[1]);
      expect(dockerfile).toContain('node_modules/@flydotio/litestream-linux-x64/litestream');
    },
  );

  it('agrees with service.yaml and start.sh on the port and the paths', () => {
    const svc = renderedService();
    expect(
      parseDockerfile(dockerfile)
        .filter((i) => i.keyword === 'EXPOSE')
        .map((i) => i.args),
    ).toEqual(['8080']);
    expect(at(svc, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort')).toBe(8080);
    const defaults = shellDefaults(readRepo('scripts/start.sh'));
    expect(defaults.DATABASE_PATH).toBe(/DATABASE_PATH=(\S+)/.exec(dockerfile)?.[1]);
    expect(defaults.APP_DIR).toBe('/app');
  });
});

describe('scripts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-deploy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['sh', 'scripts/start.sh'],
    ['sh', 'scripts/render-service.sh'],
    ['bash', 'scripts/bootstrap-gcp.sh'],
  ])('%s -n %s passes (and fails on a broken copy)', (shell, script) => {
    const r = run(shell, ['-n', script]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const broken = join(dir, 'broken.sh');
    writeFileSync(broken, mutate(readRepo(script), /\n\s*(fi|done)\n/, '\n'));
    expect(run(shell, ['-n', broken]).status).not.toBe(0);
  });

  /** A gcloud stand-in first on PATH, logging its calls; the real one (if any) must never be reached. */
  function bootstrap(script: string, args: string[], fakeBody: string, extraEnv: Record<string, string> = {}) {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'gcloud.log');
    const stdin = join(dir, 'gcloud.stdin');
    // Each run starts with an empty log (and the stand-ins' counters reset).
    for (const f of [log, stdin, `${log}.iam`]) rmSync(f, { force: true });
    writeFileSync(join(bin, 'gcloud'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$FAKE_GCLOUD_LOG"\n${fakeBody}\n`);
    chmodSync(join(bin, 'gcloud'), 0o755);
    const env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: dir,
      PROJECT_ID: 'demo',
      CLOUDSDK_CONFIG: join(dir, 'gcloud-config'),
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      FAKE_GCLOUD_LOG: log,
      FAKE_GCLOUD_STDIN: stdin,
      ...extraEnv,
    };
    const which = run('bash', ['-c', 'command -v gcloud'], { env }).stdout.trim();
    if (which !== join(bin, 'gcloud')) throw new Error(`gcloud resolves to ${which}, not the stand-in`);
    const r = run('bash', [script, ...args], { env });
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
    return { ...r, calls: read(log), stdinLines: read(stdin) };
  }
  const FAILING_GCLOUD = 'exit 1';

  const defaults = resolvedDefaults(parseYaml(readRepo('cloudbuild.yaml')), { PROJECT_ID: 'demo' });
  const expected = {
    project: 'demo',
    region: defaults._REGION,
    repository: defaults._REPOSITORY,
    bucket: defaults._BUCKET,
    runtimeSa: defaults._RUNTIME_SERVICE_ACCOUNT,
    secrets: secretNamesIn(parseYaml(readRepo('service.yaml'))),
  };

  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = (s: string) => new RegExp(`(^|\\s)${esc(s)}(\\s|$)`);
  const flag = (name: string, value: string) => new RegExp(`(^|\\s)--${name}[= ]${esc(value)}(\\s|$)`);
  const cmd = (s: string) => new RegExp(`(^|\\|\\s*)gcloud ${esc(s)}\\s`);

  /** What the dry run must plan, with the names cloudbuild.yaml and service.yaml use. */
  function planProblems(out: string, e: typeof expected): string[] {
    const p: string[] = [];
    const lines = out.split('\n');
    const need = (what: string, ...parts: RegExp[]) => {
      if (!lines.some((l) => parts.every((r) => r.test(l)))) p.push(`no command that ${what}`);
    };
    for (const api of ['run', 'cloudbuild', 'artifactregistry', 'secretmanager'])
      need(`enables ${api}`, cmd('services enable'), word(`${api}.googleapis.com`));
    need(
      `creates the docker repository ${e.repository} in ${e.region}`,
      cmd('artifacts repositories create'),
      word(e.repository),
      flag('repository-format', 'docker'),
      flag('location', e.region),
    );
    need(`creates the bucket ${e.bucket}`, cmd('storage buckets create'), word(`gs://${e.bucket}`));
    const [account, domain] = e.runtimeSa.split('@');
    if (domain !== `${e.project}.iam.gserviceaccount.com`)
      p.push(`runtime account ${e.runtimeSa} is not in project ${e.project}`);
    need(`creates the runtime account ${account}`, cmd('iam service-accounts create'), word(account), flag('project', e.project));
    const member = flag('member', `serviceAccount:${e.runtimeSa}`);
    for (const secret of e.secrets) {
      need(`creates the secret ${secret}`, cmd('secrets create'), word(secret));
      need(
        `lets the runtime account read ${secret}`,
        cmd('secrets add-iam-policy-binding'),
        word(secret),
        member,
        flag('role', 'roles/secretmanager.secretAccessor'),
      );
    }
    need(
      'gives the runtime account objectAdmin on the bucket',
      cmd('storage buckets add-iam-policy-binding'),
      word(`gs://${e.bucket}`),
      member,
      flag('role', 'roles/storage.objectAdmin'),
    );
    const runAdmin = lines.find((l) => cmd('projects add-iam-policy-binding').test(l) && flag('role', 'roles/run.admin').test(l));
    const buildSa = runAdmin && /--member[= ]serviceAccount:(\S+)/.exec(runAdmin)?.[1];
    if (!buildSa) p.push('no command that grants roles/run.admin to the build account');
    else {
      need(
        `lets ${buildSa} act as the runtime account`,
        cmd('iam service-accounts add-iam-policy-binding'),
        word(e.runtimeSa),
        flag('member', `serviceAccount:${buildSa}`),
        flag('role', 'roles/iam.serviceAccountUser'),
      );
    }
    if (/[A-Za-z0-9+/]{32,}/.test(out)) p.push('the output contains something that looks like a secret value');
    return p;
  }

  it('bootstrap-gcp.sh --dry-run (no real gcloud reachable) exits 0 and plans every resource, with matching names, no secret', () => {
    const r = bootstrap('scripts/bootstrap-gcp.sh', ['--dry-run'], FAILING_GCLOUD);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(expected.secrets).toEqual(['inkstone-admin-password', 'inkstone-session-secret']);
    expect(planProblems(r.stdout, expected)).toEqual([]);
    // A dry run only ever asks gcloud questions.
    expect(r.calls.filter((c) => !/\b(describe|get-value|list|get-default-service-account)\b/.test(c))).toEqual([]);
  });

  it.each([
    [
      'a secret renamed',
      'inkstone-session-secret',
      'inkstone-session',
      'no command that creates the secret inkstone-session-secret',
    ],
    [
      'another runtime account',
      'RUNTIME_SA_NAME:-inkstone-run',
      'RUNTIME_SA_NAME:-inkstone-runtime',
      'no command that creates the runtime account inkstone-run',
    ],
    [
      'another bucket',
      'BUCKET:-${PROJECT_ID}-inkstone',
      'BUCKET:-${PROJECT_ID}-blog',
      'no command that creates the bucket demo-inkstone',
    ],
    ['no objectAdmin', '--role roles/storage.objectAdmin', '--role roles/storage.objectViewer', 'objectAdmin on the bucket'],
    ['a secret printed', 'echo "(generate a value) |', 'echo "$(new_secret_value) |', 'looks like a secret value'],
  ])('the plan check catches a broken bootstrap copy: %s', (_name, from, to, problem) => {
    const script = join(dir, 'bootstrap-gcp.sh');
    writeFileSync(script, mutate(readRepo('scripts/bootstrap-gcp.sh'), from, to));
    const r = bootstrap(script, ['--dry-run'], FAILING_GCLOUD);
    expect(r.status).toBe(0);
    expect(planProblems(r.stdout, expected).join('\n')).toContain(problem);
  });

  it('bootstrap-gcp.sh for real (gcloud faked) sends generated secrets on stdin only, long enough for production', () => {
    const fake = [
      'case "$1 $2" in "projects describe") echo 123456789012; exit 0;; esac',
      'case "$*" in *"versions add"*) cat >> "$FAKE_GCLOUD_STDIN"; echo >> "$FAKE_GCLOUD_STDIN"; exit 0;; *describe*) exit 1;; esac',
      'exit 0',
    ].join('\n');
    const r = bootstrap('scripts/bootstrap-gcp.sh', [], fake);
    expect(r.status).toBe(0);
    const adds = r.calls.filter((c) => c.startsWith('secrets versions add'));
    expect(adds).toHaveLength(2);
    for (const add of adds) expect(add).toMatch(/--data-file -( |$)/);
    expect(r.stdinLines).toHaveLength(2);
    for (const secret of r.stdinLines) {
      expect(secret.length).toBeGreaterThanOrEqual(32); // SESSION_SECRET minimum in production (password: 12)
      expect(r.stdout + r.stderr + r.calls.join('\n')).not.toContain(secret);
    }
    expect(new Set(r.stdinLines).size).toBe(2);
  });

  it('grants the deploy roles to the account Cloud Build actually runs as', () => {
    // Cloud Build runs as the build's `serviceAccount`, else the project's default build account:
    // the legacy PROJECT_NUMBER@cloudbuild.gserviceaccount.com or, on projects created since
    // 2024, PROJECT_NUMBER-compute@developer.gserviceaccount.com (Cloud Build docs, "Cloud Build
    // service account"). Granting to the legacy one by name is right only on older projects.
    const problems = (plan: string, calls: string[], build: unknown): string[] => {
      const granted = plan
        .split('\n')
        .filter((l) => /projects add-iam-policy-binding/.test(l) && /roles\/run\.admin/.test(l))
        .map((l) => /--member[= ]serviceAccount:(\S+)/.exec(l)?.[1]);
      const sa = at(build, 'serviceAccount');
      if (typeof sa === 'string') {
        const email = substitute(sa, { PROJECT_ID: 'demo' }).split('/').pop() ?? '';
        return granted.includes(email)
          ? []
          : [`cloudbuild.yaml runs as ${email}; bootstrap grants run.admin to ${granted.join(', ')}`];
      }
      if ([plan, ...calls].some((l) => /builds get-default-service-account/.test(l))) return [];
      return [
        `cloudbuild.yaml sets no serviceAccount, and bootstrap grants run.admin to ${granted.join(', ')} without asking which account builds run as (gcloud builds get-default-service-account)`,
      ];
    };
    const r = bootstrap('scripts/bootstrap-gcp.sh', ['--dry-run'], FAILING_GCLOUD);
    const withAccount = {
      ...(parseYaml(readRepo('cloudbuild.yaml')) as Obj),
      serviceAccount: 'projects/$PROJECT_ID/serviceAccounts/inkstone-deploy@$PROJECT_ID.iam.gserviceaccount.com',
    };
    const grantsIt =
      'gcloud projects add-iam-policy-binding demo --member serviceAccount:inkstone-deploy@demo.iam.gserviceaccount.com --role roles/run.admin';
    expect(problems(grantsIt, [], withAccount)).toEqual([]);
    expect(problems(r.stdout, r.calls, withAccount)).toHaveLength(1);
    expect(problems(r.stdout, r.calls, parseYaml(readRepo('cloudbuild.yaml')))).toEqual([]);
  });

  const buildSa = (at(parseYaml(readRepo('cloudbuild.yaml')), 'serviceAccount') as string)
    .split('/')
    .pop()!
    .replaceAll('${PROJECT_ID}', 'demo');
  /** Project-level roles the build account may hold: its logs, and Cloud Run (run.admin: see bootstrap-gcp.sh). */
  const BUILD_PROJECT_ROLES = ['roles/logging.logWriter', 'roles/run.admin'];

  /** The build account gets what cloudbuild.yaml needs, on the narrowest resource, and nothing project-wide beyond that. */
  function buildGrantProblems(out: string, e: typeof expected, sa: string): string[] {
    const p: string[] = [];
    const lines = out.split('\n');
    const member = flag('member', `serviceAccount:${sa}`);
    const need = (what: string, ...parts: RegExp[]) => {
      if (!lines.some((l) => parts.every((r) => r.test(l)))) p.push(`no command that ${what}`);
    };
    need(`creates the build account ${sa.split('@')[0]}`, cmd('iam service-accounts create'), word(sa.split('@')[0]));
    need(
      `lets ${sa} push to the repository ${e.repository} only`,
      cmd('artifacts repositories add-iam-policy-binding'),
      word(e.repository),
      flag('location', e.region),
      member,
      flag('role', 'roles/artifactregistry.writer'),
    );
    need(
      `lets ${sa} read the uploaded source`,
      cmd('storage buckets add-iam-policy-binding'),
      word(`gs://${e.project}_cloudbuild`),
      member,
      flag('role', 'roles/storage.objectViewer'),
    );
    for (const role of BUILD_PROJECT_ROLES)
      need(`grants ${role} to ${sa}`, cmd('projects add-iam-policy-binding'), member, flag('role', role));
    need(
      `lets ${sa} act as the runtime account`,
      cmd('iam service-accounts add-iam-policy-binding'),
      word(e.runtimeSa),
      member,
      flag('role', 'roles/iam.serviceAccountUser'),
    );
    for (const l of lines.filter((x) => member.test(x))) {
      const role = /--role[= ](\S+)/.exec(l)?.[1] ?? '';
      if (cmd('projects add-iam-policy-binding').test(l) && !BUILD_PROJECT_ROLES.includes(role))
        p.push(`${sa} gets ${role} on the whole project`);
      if (cmd('iam service-accounts add-iam-policy-binding').test(l) && !word(e.runtimeSa).test(l))
        p.push(`${sa} may act as another account than the runtime one: ${l}`);
    }
    need(
      `turns soft delete off on gs://${e.bucket}`,
      cmd('storage buckets update'),
      word(`gs://${e.bucket}`),
      /--clear-soft-delete/,
    );
    need(
      `sets the cleanup policy of ${e.repository}`,
      cmd('artifacts repositories set-cleanup-policies'),
      word(e.repository),
      flag('location', e.region),
      /--policy[= ]\S*artifact-cleanup-policy\.json/,
      /--no-dry-run/,
    );
    return p;
  }

  it('bootstrap-gcp.sh --dry-run gives the build account least privilege, clears soft delete and sets the registry cleanup policy', () => {
    const r = bootstrap('scripts/bootstrap-gcp.sh', ['--dry-run'], FAILING_GCLOUD);
    expect(r.status).toBe(0);
    expect(buildSa).toBe('inkstone-build@demo.iam.gserviceaccount.com');
    expect(buildGrantProblems(r.stdout, expected, buildSa)).toEqual([]);
  });

  it.each([
    [
      'registry writer on the whole project',
      /gcloud artifacts repositories add-iam-policy-binding "\$REPOSITORY" --location "\$REGION" \\\n\s*--member/,
      'gcloud projects add-iam-policy-binding "$PROJECT_ID" --condition None \\\n  --member',
      'gets roles/artifactregistry.writer on the whole project',
    ],
    [
      'the builder role',
      'roles/logging.logWriter roles/run.admin',
      'roles/logging.logWriter roles/run.admin roles/cloudbuild.builds.builder',
      'gets roles/cloudbuild.builds.builder on the whole project',
    ],
    [
      'act-as on every account',
      'run_iam gcloud iam service-accounts add-iam-policy-binding "$RUNTIME_SA"',
      'run_iam gcloud projects add-iam-policy-binding "$PROJECT_ID"',
      'gets roles/iam.serviceAccountUser on the whole project',
    ],
    ['soft delete kept', 'run gcloud storage buckets update "gs://$BUCKET" --clear-soft-delete', 'true', 'turns soft delete off'],
    [
      'cleanup policy in dry-run mode',
      '--policy "$CLEANUP_POLICY" --no-dry-run',
      '--policy "$CLEANUP_POLICY"',
      'sets the cleanup policy',
    ],
  ])('the least-privilege check catches a broken bootstrap copy: %s', (_name, from, to, problem) => {
    const script = join(dir, 'bootstrap-gcp.sh');
    writeFileSync(script, mutate(readRepo('scripts/bootstrap-gcp.sh'), from, to));
    const r = bootstrap(script, ['--dry-run'], FAILING_GCLOUD);
    expect(r.status).toBe(0);
    expect(buildGrantProblems(r.stdout, expected, buildSa).join('\n')).toContain(problem);
  });

  /** Artifact Registry cleanup policies: keep the last few versions, delete the rest. */
  function cleanupPolicyProblems(policies: unknown): string[] {
    const list = asArray(policies);
    const keep = list.find(
      (x) => at(x, 'action', 'type') === 'Keep' && typeof at(x, 'mostRecentVersions', 'keepCount') === 'number',
    );
    const count = Number(at(keep, 'mostRecentVersions', 'keepCount'));
    const p: string[] = [];
    if (!keep || count < 2 || count > 20) p.push(`no Keep policy for the 2–20 most recent versions (keepCount ${count})`);
    if (!list.some((x) => at(x, 'action', 'type') === 'Delete' && isObj(at(x, 'condition'))))
      p.push('no Delete policy: Keep policies alone delete nothing');
    for (const x of list) if (!/^[a-z0-9-]+$/.test(String(at(x, 'name')))) p.push(`policy name ${String(at(x, 'name'))}`);
    return p;
  }

  it('scripts/artifact-cleanup-policy.json keeps the last few images and deletes the rest (and the check fails on broken copies)', () => {
    const policies = JSON.parse(readRepo('scripts/artifact-cleanup-policy.json')) as unknown[];
    expect(cleanupPolicyProblems(policies)).toEqual([]);
    expect(cleanupPolicyProblems(policies.filter((x) => at(x, 'action', 'type') === 'Keep'))).toEqual([
      'no Delete policy: Keep policies alone delete nothing',
    ]);
    const keepAll = clone(policies);
    (
      at(
        keepAll.find((x) => at(x, 'action', 'type') === 'Keep'),
        'mostRecentVersions',
      ) as Obj
    ).keepCount = 1000;
    expect(cleanupPolicyProblems(keepAll).join('\n')).toContain('keepCount 1000');
  });

  /** A gcloud stand-in for a project where everything exists: describe succeeds, secrets have versions unless listed as empty. */
  const EXISTING_GCLOUD = (emptySecrets: string[] = []) =>
    [
      ...emptySecrets.map((s) => `case "$*" in "secrets versions list ${s} "*) exit 0;; esac`),
      'case "$*" in *"versions list"*) echo 1; exit 0;; *"versions add"*) cat >> "$FAKE_GCLOUD_STDIN"; echo >> "$FAKE_GCLOUD_STDIN"; exit 0;; esac',
      'exit 0',
    ].join('\n');
  const creates = (calls: string[]) => calls.filter((c) => /\b(create|versions add)\b/.test(c));

  it('bootstrap-gcp.sh run again creates nothing, and gives a secret left without a version its first one', () => {
    const again = bootstrap('scripts/bootstrap-gcp.sh', [], EXISTING_GCLOUD());
    expect([again.status, again.stderr]).toEqual([0, '']);
    expect(creates(again.calls)).toEqual([]);
    const resumed = bootstrap('scripts/bootstrap-gcp.sh', [], EXISTING_GCLOUD(['inkstone-session-secret']));
    expect(resumed.status).toBe(0);
    expect(creates(resumed.calls)).toEqual(['secrets versions add inkstone-session-secret --data-file - --project demo']);
    expect(resumed.stdinLines).toHaveLength(1);
    // A broken copy that adds a version only right after creating the secret never repairs it.
    const script = join(dir, 'bootstrap-gcp.sh');
    writeFileSync(
      script,
      mutate(readRepo('scripts/bootstrap-gcp.sh'), 'if ! has_enabled_version "$secret"; then', 'if false; then'),
    );
    copyFileSync(join(ROOT, 'scripts', 'artifact-cleanup-policy.json'), join(dir, 'artifact-cleanup-policy.json'));
    expect(creates(bootstrap(script, [], EXISTING_GCLOUD(['inkstone-session-secret'])).calls)).toEqual([]);
  });

  /** Bindings that name a service account fail `failures` times (IAM not consistent yet), then succeed. */
  const LAGGING_IAM_GCLOUD = (failures: number) =>
    [
      'case "$*" in *add-iam-policy-binding*)',
      '  n=$(cat "$FAKE_GCLOUD_LOG.iam" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE_GCLOUD_LOG.iam"',
      `  [ "$n" -lt ${failures} ] && { echo "ERROR: Service account does not exist." >&2; exit 1; };;`,
      'esac',
      'case "$*" in *describe*) exit 1;; *"versions add"*) cat > /dev/null;; esac',
      'exit 0',
    ].join('\n');

  it('bootstrap-gcp.sh survives IAM eventual consistency (bounded retries of a new account first use)', () => {
    const fast = { IAM_RETRY_SECONDS: '0' };
    const r = bootstrap('scripts/bootstrap-gcp.sh', [], LAGGING_IAM_GCLOUD(3), fast);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('IAM not ready yet');
    const never = bootstrap('scripts/bootstrap-gcp.sh', [], LAGGING_IAM_GCLOUD(1000), fast);
    expect(never.status).not.toBe(0);
    expect(never.stderr).toContain('gave up after 8 attempts');
    // A broken copy without the retries stops at the first refusal.
    writeFileSync(join(dir, 'bootstrap-gcp.sh'), mutate(readRepo('scripts/bootstrap-gcp.sh'), /\brun_iam gcloud/g, 'run gcloud'));
    copyFileSync(join(ROOT, 'scripts', 'artifact-cleanup-policy.json'), join(dir, 'artifact-cleanup-policy.json'));
    expect(bootstrap(join(dir, 'bootstrap-gcp.sh'), [], LAGGING_IAM_GCLOUD(3), fast).status).not.toBe(0);
  });
});

describe('litestream.yml', () => {
  const text = readRepo('litestream.yml');
  const startDefaults = shellDefaults(readRepo('scripts/start.sh'));
  const expanded = (t: string, env: Record<string, string> = {}) =>
    parseYaml(
      expandEnv(t, {
        DATABASE_PATH: '/data/inkstone.db',
        LITESTREAM_REPLICA_URL: 'gcs://bucket/inkstone.db',
        LITESTREAM_ADDR: startDefaults.LITESTREAM_ADDR,
        ...env,
      }),
    );

  it('parses and takes the database and the replica from ${DATABASE_PATH} and ${LITESTREAM_REPLICA_URL}', () => {
    expect(isObj(parseYaml(text))).toBe(true);
    expect(at(parseYaml(text), 'dbs', 0, 'path')).toBe('${DATABASE_PATH}');
    expect(at(parseYaml(text), 'dbs', 0, 'replicas', 0, 'url')).toBe('${LITESTREAM_REPLICA_URL}');
    expect(at(expanded(text), 'dbs', 0, 'replicas', 0, 'url')).toBe('gcs://bucket/inkstone.db');
  });

  it("serves metrics on loopback only, with start.sh's default address", () => {
    expect(startDefaults.LITESTREAM_ADDR).toBe('127.0.0.1:9090');
    const addr = String(at(expanded(text), 'addr'));
    expect([addr, isLoopback(addr)]).toEqual(['127.0.0.1:9090', true]);
    expect(isLoopback(String(at(expanded(mutate(text, 'addr: ${LITESTREAM_ADDR}', 'addr: ":9090"')), 'addr')))).toBe(false);
    expect(isLoopback(String(at(expanded(text, { LITESTREAM_ADDR: '0.0.0.0:9090' }), 'addr')))).toBe(false);
  });

  it('uses only keys Litestream v0.3.13 knows, and durations it can parse', () => {
    expect(litestreamProblems(expanded(text))).toEqual([]);
    expect(GO_DURATION.test(String(at(expanded(text), 'dbs', 0, 'replicas', 0, 'sync-interval')))).toBe(true);
  });

  it.each([
    [
      'sync_interval typo',
      'sync-interval: 1s',
      'sync_interval: 1s',
      'replicas[0].sync_interval: Litestream v0.3.13 does not know this key',
    ],
    [
      'db-level typo',
      'monitor-interval: 100ms',
      'monitor-intervall: 100ms',
      'dbs[0].monitor-intervall: Litestream v0.3.13 does not know',
    ],
    ['top-level typo', 'addr:', 'address:', 'config.address: Litestream v0.3.13 does not know'],
    ['"1 s"', 'sync-interval: 1s', 'sync-interval: 1 s', '"1 s" is not a Go duration'],
    ['a bare number (nanoseconds)', 'sync-interval: 1s', 'sync-interval: 1000', '1000 is not a Go duration'],
    ['"3days"', 'retention: 72h', 'retention: 3days', '"3days" is not a Go duration'],
  ])('the config check catches a broken copy: %s', (_name, from, to, problem) => {
    expect(litestreamProblems(expanded(mutate(text, from, to))).join('\n')).toContain(problem);
  });

  itWithLitestream("the allowed keys are exactly the binary's config yaml tags", () => {
    const binary = readFileSync(LITESTREAM_BIN).toString('latin1');
    const tags = new Set([...binary.matchAll(/yaml:"([a-z-]+)"/g)].map((m) => m[1]));
    expect([...new Set(Object.values(LITESTREAM_KEYS).flat())].sort()).toEqual([...tags].sort());
  });

  itWithLitestream('the real Litestream v0.3.13 reads it (and rejects a broken copy)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkstone-litestream-'));
    try {
      const env = {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        DATABASE_PATH: join(dir, 'inkstone.db'),
        LITESTREAM_REPLICA_URL: 'gcs://bucket/inkstone.db',
        LITESTREAM_ADDR: startDefaults.LITESTREAM_ADDR,
      };
      const ok = run(LITESTREAM_BIN, ['databases', '-config', join(ROOT, 'litestream.yml')], { env, cwd: dir });
      expect([ok.status, ok.stderr]).toEqual([0, '']);
      expect(ok.stdout).toMatch(new RegExp(`${join(dir, 'inkstone.db')}\\s+gcs`));
      writeFileSync(join(dir, 'bad.yml'), mutate(text, 'sync-interval: 1s', 'sync-interval: 1 s'));
      const bad = run(LITESTREAM_BIN, ['databases', '-config', join(dir, 'bad.yml')], { env, cwd: dir });
      expect(bad.status).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/time\.Duration/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
