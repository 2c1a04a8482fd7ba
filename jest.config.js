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

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/src/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/apps/**/test/**/*.e2e-spec.ts'] },
  ],
};
