/**
 * Offline checks of the deploy files (service.yaml, cloudbuild.yaml, Dockerfile, .dockerignore,
 * litestream.yml, scripts/), one module per file checked. Each check is a pure function returning
 * a list of problems, so a test can run it on the real file (expect none) and on a deliberately
 * broken copy (expect the problem to be named): a check that cannot fail proves nothing. Each
 * module has its spec beside it; deploy-files.e2e-spec.ts runs them all on the real files.
 */
export * from './build-context.js';
export * from './cloudbuild-yaml.js';
export * from './design-contract.js';
export * from './dockerfile.js';
export * from './documents.js';
export * from './litestream-yml.js';
export * from './repo.js';
export * from './secret-names.js';
export * from './service-yaml.js';
