import { configContract } from './design-contract.js';
import { at, clone, type Obj, parseYaml } from './documents.js';
import { readRepo } from './repo.js';
import {
  annotationProblems,
  cloudRunProblems,
  leftoverPlaceholders,
  RENDER_ENV,
  renderService,
  secretNamesIn,
} from './service-yaml.js';

const CONTRACT = configContract(readRepo('DESIGN.md'));

function rendered(): unknown {
  const r = renderService(RENDER_ENV);
  if (r.status !== 0) throw new Error(`render-service.sh failed: ${r.stderr}`);
  return parseYaml(r.stdout);
}
const env = (svc: unknown) => at(svc, 'spec', 'template', 'spec', 'containers', 0, 'env') as Obj[];

describe('service.yaml checks', () => {
  it('the real service.yaml, rendered, passes every check', () => {
    const svc = rendered();
    expect([leftoverPlaceholders(svc), annotationProblems(svc), cloudRunProblems(svc, CONTRACT)]).toEqual([[], [], []]);
    expect(secretNamesIn(svc).length).toBeGreaterThan(0);
  });

  it('leftoverPlaceholders: the unrendered template still has ${…}', () => {
    expect(leftoverPlaceholders(parseYaml(readRepo('service.yaml')))).toContain('metadata.name: ${SERVICE}');
  });

  it('annotationProblems: an unquoted number is no annotation value', () => {
    const svc = rendered() as Obj;
    (at(svc, 'metadata', 'annotations') as Obj)['run.googleapis.com/maxScale'] = 1;
    expect(annotationProblems(svc)).toEqual([
      'metadata.annotations["run.googleapis.com/maxScale"] must be a string, got number 1',
    ]);
  });

  it('cloudRunProblems: two instances, an env name outside the contract, a literal password, gs:// replicas', () => {
    const svc = clone(rendered());
    (at(svc, 'metadata', 'annotations') as Obj)['run.googleapis.com/maxScale'] = '2';
    env(svc).push({ name: 'NOT_IN_DESIGN', value: 'x' }, { name: 'ADMIN_PASSWORD', value: 'hunter2' });
    env(svc).find((e) => e.name === 'LITESTREAM_REPLICA_URL')!.value = 'gs://bucket/db';
    const problems = cloudRunProblems(svc, CONTRACT).join('\n');
    expect(problems).toContain('run.googleapis.com/maxScale must be "1"');
    expect(problems).toContain("env NOT_IN_DESIGN is not in DESIGN.md's configuration table");
    expect(problems).toContain('env ADMIN_PASSWORD has a literal value');
    expect(problems).toContain('LITESTREAM_REPLICA_URL must be a gcs:// URL');
  });
});
