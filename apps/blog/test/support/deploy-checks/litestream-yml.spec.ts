import { at, mutate, parseYaml } from './documents.js';
import { expandEnv, GO_DURATION, isLoopback, litestreamProblems } from './litestream-yml.js';
import { readRepo } from './repo.js';

const TEXT = readRepo('litestream.yml');
const config = (text: string) =>
  parseYaml(
    expandEnv(text, {
      DATABASE_PATH: '/data/inkstone.db',
      LITESTREAM_REPLICA_URL: 'gcs://bucket/inkstone.db',
      LITESTREAM_ADDR: '127.0.0.1:9090',
    }),
  );

describe('litestream.yml checks (Litestream v0.3.13)', () => {
  it('the real litestream.yml uses only keys v0.3.13 knows and durations it parses', () => {
    expect(litestreamProblems(config(TEXT))).toEqual([]);
    expect(isLoopback(String(at(config(TEXT), 'addr')))).toBe(true);
  });

  it.each([
    [
      'a typo Litestream would ignore',
      'sync-interval: 1s',
      'sync_interval: 1s',
      'sync_interval: Litestream v0.3.13 does not know this key',
    ],
    ['a bare number (nanoseconds)', 'sync-interval: 1s', 'sync-interval: 1000', '1000 is not a Go duration'],
  ])('litestreamProblems names a broken copy: %s', (_name, from, to, problem) => {
    expect(litestreamProblems(config(mutate(TEXT, from, to))).join('\n')).toContain(problem);
  });

  it('litestreamProblems: a config with no database to replicate', () => {
    expect(litestreamProblems({ addr: '127.0.0.1:9090' })).toEqual(['no dbs']);
  });

  it('expandEnv as os.ExpandEnv (unset is empty); GO_DURATION and isLoopback as Go and a listener read them', () => {
    expect(expandEnv('$A ${B} $UNSET.', { A: '1', B: '2' })).toBe('1 2 .');
    expect(['1s', '1h30m', '100ms'].every((d) => GO_DURATION.test(d))).toBe(true);
    expect(['1', '1 s', '3days'].some((d) => GO_DURATION.test(d))).toBe(false);
    expect(['127.0.0.1:9090', '[::1]:9090', '0.0.0.0:9090', ':9090'].map(isLoopback)).toEqual([true, true, false, false]);
  });
});
