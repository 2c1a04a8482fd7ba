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
};
