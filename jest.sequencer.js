/**
 * Slowest suites first, also on a fresh clone. Jest orders suites by the durations it cached on
 * the last run; a fresh machine (CI) has none, and Jest then goes by file size, which starts the
 * slowest suite (node24, a short file) near the end: with two workers, one then runs alone for
 * minutes. Suites Jest has no time for take the seconds below (a clean CI run, rounded), or 1 s.
 */
import Sequencer from '@jest/test-sequencer';

const EXPECTED_SECONDS = {
  'apps/blog/test/node24.e2e-spec.ts': 220,
  'apps/blog/test/durability.e2e-spec.ts': 170,
  'apps/blog/test/rollout.e2e-spec.ts': 115,
  'apps/blog/test/browser/accessibility.e2e-spec.ts': 55,
  'apps/blog/test/xss.e2e-spec.ts': 50,
  'apps/blog/test/browser/reader.e2e-spec.ts': 40,
  'apps/blog/test/browser/author.e2e-spec.ts': 35,
  'apps/blog/test/retention.e2e-spec.ts': 30,
  'apps/blog/test/first-boot.e2e-spec.ts': 28,
  'apps/blog/test/first-save-frozen.e2e-spec.ts': 27,
  'apps/blog/test/rollout-edges.e2e-spec.ts': 22,
};

export default class SlowestFirst extends Sequencer {
  time(test) {
    const relative = test.path.slice(test.context.config.rootDir.length + 1);
    return super.time(test) ?? (EXPECTED_SECONDS[relative] ?? 1) * 1000;
  }
}
