import { configContract } from './design-contract.js';
import { readRepo } from './repo.js';

describe("configContract: DESIGN.md's configuration table", () => {
  it('reads the real table, expanding `NAME / _FILE / _SECRET` shorthands, and NODE_ENV from the prose', () => {
    const names = configContract(readRepo('DESIGN.md'));
    for (const name of [
      'DATABASE_PATH',
      'SITE_URL',
      'SESSION_SECRET',
      'SESSION_SECRET_FILE',
      'SESSION_SECRET_SECRET',
      'NODE_ENV',
    ])
      expect(names).toContain(name);
    expect(names).not.toContain('name');
  });

  it('reads only that section, and refuses a file without it', () => {
    const design = '# D\n## Configuration\n| name | what |\n|---|---|\n| A / _FILE | x |\n## Next\n| B | y |\n';
    expect([...configContract(design)]).toEqual(['A', 'A_FILE']);
    expect(() => configContract('# D\n## Other\n| A | x |\n')).toThrow('no "## Configuration" section');
  });
});
