import { repoView } from './build-context.js';
import { mutate } from './documents.js';
import { buildkitFeatures, dockerfileProblems, envPairs, flagsAndWords, parseDockerfile, stagesOf } from './dockerfile.js';
import { readRepo } from './repo.js';

const DOCKERFILE = readRepo('Dockerfile');
const REPO = repoView(readRepo('.dockerignore'));

describe('Dockerfile checks', () => {
  it('the real Dockerfile follows the image rules', () => {
    expect(dockerfileProblems(DOCKERFILE, REPO)).toEqual([]);
  });

  it.each([
    ['root at run time', /^USER .*$/m, '', 'the final stage runs as root'],
    ['another Node', 'FROM node:24-slim AS build', 'FROM node:22-slim AS build', 'stage build is FROM node:22-slim'],
    ['a baked secret', 'ENV NODE_ENV=production', 'ENV NODE_ENV=production SESSION_SECRET=abc', 'bakes a secret-looking value'],
    ['a shell-form CMD', /^CMD .*$/m, 'CMD scripts/start.sh', 'CMD must be exec form'],
  ])('dockerfileProblems names a broken copy: %s', (_name, from, to, problem) => {
    expect(dockerfileProblems(mutate(DOCKERFILE, from, to), REPO).join('\n')).toContain(problem);
  });

  it('parseDockerfile joins continuations and drops comments; stagesOf follows FROM … AS', () => {
    const parsed = parseDockerfile('# c\nFROM a AS one\nRUN x \\\n  # inside\n  && y\nFROM one\nCOPY --from=one /p /q\n');
    expect(parsed.map((i) => [i.keyword, i.args])).toEqual([
      ['FROM', 'a AS one'],
      ['RUN', 'x    && y'],
      ['FROM', 'one'],
      ['COPY', '--from=one /p /q'],
    ]);
    expect(stagesOf(parsed).map((s) => [s.name, s.base, s.instructions.length])).toEqual([
      ['one', 'a', 1],
      [undefined, 'one', 1],
    ]);
  });

  it('flagsAndWords and envPairs read both of Docker’s forms', () => {
    expect(flagsAndWords('--chown=1000:1000 ["a b", "c"]')).toEqual({ flags: { chown: '1000:1000' }, words: ['a b', 'c'] });
    expect(envPairs('A=1 B="x y"')).toEqual([
      ['A', '1'],
      ['B', 'x y'],
    ]);
    expect(envPairs('A 1 2')).toEqual([['A', '1 2']]);
  });

  it('buildkitFeatures: none in a plain Dockerfile, named when present', () => {
    expect(buildkitFeatures('FROM node:24-slim\nCOPY a b\n')).toEqual([]);
    expect(buildkitFeatures('FROM node:24-slim\nCOPY --chmod=755 a b\n')).toEqual(['line 2: COPY --chmod']);
  });
});
