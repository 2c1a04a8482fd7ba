/**
 * The local Cloud Run's scenarios (apps/blog/test/cloud-run): the real image under Cloud Run's
 * rules. Apart from `npm test` because they need root, podman/buildah and the built image.
 */
import base from './jest.config.js';

const { displayName: _name, testMatch: _match, ...shared } = base.projects[1];

export default {
  ...shared,
  displayName: 'cloud-run',
  testMatch: ['<rootDir>/apps/blog/test/cloud-run/**/*.cloud-run-spec.ts'],
  // One instance at a time: the scenarios measure memory and CPU of one image.
  maxWorkers: 1,
  // Open (issue 13), failing today and so kept out of CI until fixed; `npm run test:cloud-run:open`
  // runs it. memory: the largest import during load and a backup download is OOM-killed at 512 MiB.
  testPathIgnorePatterns: process.env.CLOUD_RUN_OPEN ? [] : ['/node_modules/', '/cloud-run/memory\\.cloud-run-spec\\.ts$'],
};
