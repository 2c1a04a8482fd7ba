import { availableParallelism } from 'node:os';

/** Two projects: unit specs beside the code, e2e specs against the real app in apps/blog/test. */
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@app/content$': '<rootDir>/libs/content/src/index.ts',
    '^@app/auth$': '<rootDir>/libs/auth/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  // Scratch trees (bench databases, other Node builds) and build output are not test modules.
  modulePathIgnorePatterns: ['<rootDir>/.tmp/', '<rootDir>/dist/'],
};

// e2e cases start apps, hash passwords and spawn processes: Jest's 5 s default fails them on a
// loaded 2-core machine. Heavier specs set their own, longer, timeouts.
const e2e = { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/apps/**/test/**/*.e2e-spec.ts'], testTimeout: 30_000 };

export default {
  // At least two workers, also on 2 cores (Jest's default there is one): the slow e2e suites mostly
  // wait (Litestream's intervals, SIGTERM drains, instance starts), so two of them overlap well.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testSequencer: '<rootDir>/jest.sequencer.js',
  // Jest reads testTimeout at the top level only: set on the e2e project alone, every case still had
  // 5 s. The e2e project keeps it for jest.cloud-run.config.js, a top-level config built from it.
  testTimeout: e2e.testTimeout,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // Test support with logic of its own (the deploy files' validators) has its specs beside it too.
      testMatch: ['<rootDir>/{apps,libs}/**/src/**/*.spec.ts', '<rootDir>/apps/**/test/support/**/*.spec.ts'],
    },
    e2e,
  ],
};
