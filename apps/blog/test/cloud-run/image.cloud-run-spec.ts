import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildImage,
  IMAGE,
  type ImageConfig,
  imageConfig,
  imageProblems,
  type MountedImage,
  mountImage,
  runInImage,
} from '../support/image-build.js';
import { ROOT } from '../support/process.js';
import { MIN_SQLITE, versionAtLeast } from '../support/sqlite-version.js';

/**
 * The real image, built from the project's Dockerfile with podman (`npm run image:build`), read
 * from its root filesystem: who it runs as, what it runs, what it holds, and that its Node and
 * native addons work as the app's user. Each rule is also run on a broken copy of the image.
 */

const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};
const SQLITE_PROBE = [
  '/usr/local/bin/node',
  '-e',
  "const D = require('/app/node_modules/better-sqlite3'); require('/app/node_modules/argon2');" +
    " console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)",
];

let config: ImageConfig;
let image: MountedImage;

beforeAll(() => {
  const { seconds, sizeMb } = buildImage();
  console.log(`image ${IMAGE}: ${sizeMb} MB, build ${seconds} s (cached layers when nothing changed)`);
  config = imageConfig();
  image = mountImage();
}, 30 * 60_000);

afterAll(() => image?.remove());

describe('the image built from the Dockerfile', () => {
  it('runs as uid 1000, CMD start.sh in exec form, no secret, test file or dev dependency, /data writable', () => {
    expect(imageProblems(config, image.root, LOCK)).toEqual([]);
  });

  it(`ships Node 24, and better-sqlite3 (SQLite >= ${MIN_SQLITE}) and argon2 load for the app's user`, () => {
    const version = runInImage(image, config, ['/usr/local/bin/node', '--version']);
    expect(version.stdout.trim()).toMatch(/^v24\.\d+\.\d+$/);
    const probe = runInImage(image, config, SQLITE_PROBE);
    expect(probe.stderr).toBe('');
    const sqlite = probe.stdout.trim();
    expect(sqlite).toMatch(/^3\.\d+\.\d+$/);
    // The WAL-reset fix, on the image's own Node and addon (sqlite-version.e2e-spec.ts: this machine's).
    expect({ sqlite, fixed: versionAtLeast(sqlite, MIN_SQLITE) }).toEqual({ sqlite, fixed: true });
    console.log(`image: node ${version.stdout.trim()}, SQLite ${probe.stdout.trim()}`);
  });
});

describe('the image checks, on a broken copy of the image', () => {
  let broken: MountedImage;
  beforeAll(() => (broken = mountImage()));
  afterAll(() => broken?.remove());

  it('catch root, a shell-form CMD, a secret in ENV, secrets, tests and dev dependencies in /app, a root-owned /data', () => {
    const app = join(broken.root, 'app');
    writeFileSync(join(app, '.env'), 'SESSION_SECRET=x\n');
    mkdirSync(join(app, 'apps', 'blog', 'test'), { recursive: true });
    writeFileSync(join(app, 'apps', 'blog', 'test', 'site.e2e-spec.ts'), '');
    mkdirSync(join(app, 'node_modules', 'jest'), { recursive: true });
    mkdirSync(join(broken.root, 'root', '.npm'), { recursive: true });
    chownSync(join(broken.root, 'data'), 0, 0);
    const badConfig: ImageConfig = {
      ...config,
      User: 'root',
      Cmd: ['/bin/sh', '-c', '/app/scripts/start.sh'],
      Env: [...config.Env, 'SESSION_SECRET=baked-in'],
    };
    expect(imageProblems(badConfig, broken.root, LOCK)).toEqual([
      'USER "root" is uid 0, not 1000',
      'CMD ["/bin/sh","-c","/app/scripts/start.sh"] is not the exec form ["/app/scripts/start.sh"]',
      'ENV SESSION_SECRET holds a value in the image',
      '/app/.env: a secret or database file',
      '/app/apps/blog/test: a test or scratch file',
      '/app/apps/blog/test/site.e2e-spec.ts: a test or scratch file',
      '/app/node_modules/jest: a dev dependency',
      '/root/.npm: build-time credentials or caches left in the image',
      '/data is not a directory owned by uid 1000 (uid 0)',
    ]);
  });

  it('catch a native addon that does not load, and a Node that is not 24', () => {
    const addon = join(broken.root, 'app', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    truncateSync(addon, 100);
    const probe = runInImage(broken, config, SQLITE_PROBE);
    expect(probe.status).not.toBe(0);
    expect(probe.stderr).toMatch(/better_sqlite3\.node/);
    const node = join(broken.root, 'usr', 'local', 'bin', 'node');
    rmSync(node);
    writeFileSync(node, '#!/bin/sh\necho v20.20.2\n');
    chmodSync(node, 0o755);
    expect(runInImage(broken, config, ['/usr/local/bin/node', '--version']).stdout.trim()).not.toMatch(/^v24\./);
  });
});
