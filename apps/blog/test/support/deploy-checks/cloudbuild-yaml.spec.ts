import {
  buildIdentityProblems,
  pipelineProblems,
  substitute,
  substitutionProblems,
  substitutionRefs,
} from './cloudbuild-yaml.js';
import { asArray, at, clone, mutate, type Obj, parseYaml } from './documents.js';
import { readRepo } from './repo.js';

const REAL = parseYaml(readRepo('cloudbuild.yaml'));
const RENDER_VARS = (/NAMES='([A-Z_ ]+)'/.exec(readRepo('scripts/render-service.sh'))?.[1] ?? '').trim().split(/\s+/);
const steps = (b: unknown) => asArray(at(b, 'steps')) as Obj[];

describe('cloudbuild.yaml checks', () => {
  it('the real cloudbuild.yaml passes every check', () => {
    expect(RENDER_VARS.length).toBeGreaterThan(0);
    expect([substitutionProblems(REAL), pipelineProblems(REAL, RENDER_VARS), buildIdentityProblems(REAL)]).toEqual([[], [], []]);
  });

  it('substitutionRefs and substitute read $VAR and ${VAR} as Cloud Build does ($$ is the shell’s)', () => {
    expect(substitutionRefs('a $$HOME ${_X:-y} $PROJECT_ID ${BUILD_ID}')).toEqual(['_X', 'PROJECT_ID', 'BUILD_ID']);
    expect(substitute('${_A}/$_B/$C', { _A: 'x', _B: '${_A}y' })).toBe('x/xy/$C');
  });

  it('substitutionProblems: a trigger-only built-in and a shell variable written as a substitution', () => {
    const b = clone(REAL);
    asArray(steps(b)[0].args).push('echo $SHORT_SHA $HOME');
    const problems = substitutionProblems(b).join('\n');
    expect(problems).toContain('$SHORT_SHA exists only in triggered builds');
    expect(problems).toContain('$HOME is not a Cloud Build substitution');
  });

  it('pipelineProblems: deploying before the push, and a test stage that cannot fail', () => {
    const b = clone(REAL) as Obj;
    const all = steps(b);
    expect(all.map((s) => s.id)).toContain('deploy');
    const deploy = all.findIndex((s) => s.id === 'deploy');
    b.steps = [all[deploy], ...all.filter((_, i) => i !== deploy)];
    expect(pipelineProblems(b, RENDER_VARS).join('\n')).toContain('steps are out of order');
    const dockerfile = mutate(readRepo('Dockerfile'), 'RUN npm run test:image', 'RUN npm run test:image || true');
    expect(pipelineProblems(REAL, RENDER_VARS, dockerfile).join('\n')).toContain('must fail the build when tests fail');
  });

  it("buildIdentityProblems: a project's default build account", () => {
    const b = clone(REAL) as Obj;
    b.serviceAccount = 'projects/$PROJECT_ID/serviceAccounts/123-compute@developer.gserviceaccount.com';
    expect(buildIdentityProblems(b).join('\n')).toContain('is not an account of this project');
  });
});
