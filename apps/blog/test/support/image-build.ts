import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './process.js';

/** The image `npm run image:build` makes from the project's Dockerfile. */
export const IMAGE = process.env.IMAGE ?? 'inkstone:local';

/**
 * Builds the real image (scripts/image/build.sh: the stand-in base once, then podman's layer
 * cache, so seconds when nothing changed). A missing tool fails with the command that installs it.
 */
export function buildImage(image = IMAGE): { seconds: number; sizeMb: number } {
  const r = spawnSync(join(ROOT, 'scripts', 'image', 'build.sh'), ['--quiet'], {
    cwd: ROOT,
    env: { ...process.env, IMAGE: image },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = /built in ([\d.]+) s, (\d+) MB/.exec(r.stdout);
  if (r.status !== 0 || !summary) throw new Error(`scripts/image/build.sh failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return { seconds: Number(summary[1]), sizeMb: Number(summary[2]) };
}

export interface ImageConfig {
  User: string;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Env: string[];
  WorkingDir: string;
}

export function imageConfig(image = IMAGE): ImageConfig {
  const out = execFileSync('podman', ['image', 'inspect', '--format', '{{json .Config}}', image], { encoding: 'utf8' });
  return JSON.parse(out) as ImageConfig;
}

/** The image's root filesystem, read-write through a buildah working container, until `remove()`. */
export interface MountedImage {
  root: string;
  remove: () => void;
}

export function mountImage(image = IMAGE): MountedImage {
  const ctr = execFileSync('buildah', ['from', '--pull=never', '--quiet', image], { encoding: 'utf8' }).trim();
  try {
    const root = execFileSync('buildah', ['mount', ctr], { encoding: 'utf8' }).trim();
    return {
      root,
      remove: () => {
        spawnSync('buildah', ['umount', ctr]);
        spawnSync('buildah', ['rm', ctr]);
      },
    };
  } catch (err) {
    spawnSync('buildah', ['rm', ctr]);
    throw err;
  }
}

/**
 * Runs a program inside the mounted image as `userspec` (uid:gid) with only the image's env
 * (and `env`): chroot, since `podman run` is refused on this machine.
 */
export function runInImage(
  mounted: MountedImage,
  config: ImageConfig,
  argv: string[],
  opts: { userspec?: string; env?: Record<string, string> } = {},
): { status: number | null; stdout: string; stderr: string } {
  const env = [...config.Env, ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const r = spawnSync(
    'chroot',
    [`--userspec=${opts.userspec ?? '1000:1000'}`, mounted.root, '/usr/bin/env', '-i', ...env, ...argv],
    { encoding: 'utf8', cwd: '/', timeout: 60_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL/i;
/** Files that hold secrets or local state, wherever they sit under /app (node_modules included). */
const SECRET_FILES =
  /^(\.env(\..*)?|\.session-secret|\.npmrc|id_(rsa|ed25519|ecdsa)|credentials\.json|.*\.(pem|key|p12|db|db-wal|db-shm))$/;
/** The project's own test and scratch files: none belongs in the image (node_modules aside). */
const PROJECT_TEST_PATHS = /(^|\/)(test|\.tmp|\.git|\.ci|coverage|bench|data)(\/|$)|\.(e2e-)?spec\.(ts|js)$/;

/** Every file and directory under `dir`, as paths relative to it (symlinks not followed). */
export function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    out.push(path);
    if (entry.isDirectory()) out.push(...walk(dir, path));
  }
  return out;
}

/** uid of a user name (or number) in the image's /etc/passwd. */
export function uidOf(root: string, user: string): number | undefined {
  const name = user.split(':')[0];
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync(join(root, 'etc', 'passwd'), 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  return line ? Number(line.split(':')[2]) : undefined;
}

/**
 * What must hold of the built image: runs as uid 1000, CMD runs start.sh in exec form (signals
 * reach it), no secret in its env or files, none of the project's tests or scratch files, no
 * package npm marks dev-only in package-lock.json, /data writable by the app's user.
 */
export function imageProblems(
  config: ImageConfig,
  root: string,
  lock: { packages: Record<string, { dev?: boolean }> },
): string[] {
  const p: string[] = [];
  const uid = uidOf(root, config.User ?? '');
  if (uid !== 1000) p.push(`USER ${JSON.stringify(config.User)} is uid ${uid}, not 1000`);
  const cmd = JSON.stringify(config.Cmd);
  if (cmd !== JSON.stringify(['/app/scripts/start.sh'])) p.push(`CMD ${cmd} is not the exec form ["/app/scripts/start.sh"]`);
  for (const kv of config.Env) {
    const [name, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
    if (SECRET_NAME.test(name) && value && !name.endsWith('_FILE') && name !== 'NODE_EXTRA_CA_CERTS')
      p.push(`ENV ${name} holds a value in the image`);
  }
  const app = join(root, 'app');
  for (const path of walk(app)) {
    const base = path.split('/').at(-1) ?? '';
    if (SECRET_FILES.test(base)) p.push(`/app/${path}: a secret or database file`);
    if (!path.startsWith('node_modules/') && PROJECT_TEST_PATHS.test(path)) p.push(`/app/${path}: a test or scratch file`);
  }
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (meta.dev && path.startsWith('node_modules/') && existsSync(join(app, path))) p.push(`/app/${path}: a dev dependency`);
  }
  for (const home of ['root', 'home/node']) {
    for (const f of ['.npmrc', '.npm', '.config/gcloud', '.docker']) {
      if (existsSync(join(root, home, f))) p.push(`/${home}/${f}: build-time credentials or caches left in the image`);
    }
  }
  const data = statSync(join(root, 'data'), { throwIfNoEntry: false });
  if (!data?.isDirectory() || data.uid !== 1000) p.push(`/data is not a directory owned by uid 1000 (uid ${data?.uid})`);
  return p;
}
