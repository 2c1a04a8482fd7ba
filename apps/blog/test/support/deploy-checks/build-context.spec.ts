import { dockerignoreMatcher, globToRegExp, repoView, shellDefaults } from './build-context.js';
import { readRepo } from './repo.js';

describe('the Docker build context', () => {
  it('dockerignoreMatcher: the last matching rule wins, for a path or any parent; * ? ** as Docker reads them', () => {
    const ignored = dockerignoreMatcher('*.md\n**/*.log\nsecret/\n!secret/keep.txt\n# comment\n');
    expect(['README.md', 'a/b/c.log', 'secret/x', 'docs/README.md'].map(ignored)).toEqual([true, true, true, false]);
    expect(ignored('secret/keep.txt')).toBe(false);
    expect(globToRegExp('a/**/b?.ts').test('a/x/y/b1.ts')).toBe(true);
  });

  it("the real .dockerignore keeps the build's sources and drops the database and node_modules", () => {
    const repo = repoView(readRepo('.dockerignore'));
    expect(['apps/blog/src/main.ts', 'package.json', 'scripts/start.sh'].map(repo.ignored)).toEqual([false, false, false]);
    expect(['node_modules/x', 'data/inkstone.db', '.git/HEAD'].map(repo.ignored)).toEqual([true, true, true]);
    expect(repo.executable('scripts/start.sh')).toBe(true);
  });

  it("shellDefaults reads start.sh's `NAME=${NAME:-default}` lines, and nothing else", () => {
    expect(shellDefaults('A=${A:-/x}\nB=${C:-no}\n  D=${D:-indented}\n')).toEqual({ A: '/x' });
    expect(repoView(readRepo('.dockerignore')).startDefaults.LITESTREAM_ADDR).toBe('127.0.0.1:9090');
  });
});
