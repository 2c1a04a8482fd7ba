import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `podman image inspect` says about how to run the image. */
export interface ImageConfig {
  image: string;
  id: string;
  cmd: string[];
  entrypoint: string[];
  /** KEY=VALUE, as the image declares them. */
  env: string[];
  user: string;
  workingDir: string;
}

const INSTALL = 'apt-get install -y podman buildah';

async function tool(name: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(name, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${name} is missing: ${INSTALL}`, { cause: err });
    throw new Error(`${name} ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, {
      cause: err,
    });
  }
}

export async function inspectImage(image: string): Promise<ImageConfig> {
  let text: string;
  try {
    text = await tool('podman', ['image', 'inspect', image]);
  } catch (err) {
    if (/missing/.test((err as Error).message)) throw err;
    throw new Error(`image ${image} not found: build it with \`npm run image:build\` (${(err as Error).message.trim()})`, {
      cause: err,
    });
  }
  const [info] = JSON.parse(text) as {
    Id: string;
    Config: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; User?: string; WorkingDir?: string };
  }[];
  return {
    image,
    id: info.Id,
    cmd: info.Config.Cmd ?? [],
    entrypoint: info.Config.Entrypoint ?? [],
    env: info.Config.Env ?? [],
    user: info.Config.User || 'root',
    workingDir: info.Config.WorkingDir || '/',
  };
}

/**
 * A container's root folder: `buildah from` + `buildah mount` (podman run is refused on this machine),
 * with /proc, /dev and tmpfs at the writable paths, since Cloud Run's writable filesystem is RAM.
 * Every mount is undone by remove(), also after a failure half-way.
 */
export class ContainerRoot {
  private mounts: string[] = [];

  private constructor(
    readonly container: string,
    readonly path: string,
  ) {}

  static async create(image: ImageConfig, name: string, writablePaths: string[]): Promise<ContainerRoot> {
    const container = (await tool('buildah', ['from', '--pull=never', '--name', name, image.image])).trim();
    const path = (await tool('buildah', ['mount', container])).trim();
    const root = new ContainerRoot(container, path);
    try {
      await root.mount(['-t', 'proc', 'proc'], '/proc');
      await root.mount(['--rbind', '/dev'], '/dev');
      for (const dir of writablePaths) {
        const target = join(path, dir);
        if (!existsSync(target)) continue;
        // The image's owner and mode stay (the node user owns /data), as in Cloud Run's overlay.
        const st = statSync(target);
        await root.mount(
          ['-t', 'tmpfs', '-o', `mode=${(st.mode & 0o7777).toString(8)},uid=${st.uid},gid=${st.gid}`, 'tmpfs'],
          dir,
        );
      }
    } catch (err) {
      await root.remove();
      throw err;
    }
    return root;
  }

  /** A secret volume: its own small read-only-for-the-app tmpfs with the files (uid 0, mode 0444). */
  async mountSecretFiles(mountPath: string, files: { path: string; value: string }[]): Promise<void> {
    await this.mount(['-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'tmpfs'], mountPath);
    for (const file of files) {
      const target = join(this.path, mountPath, file.path);
      writeFileSync(target, file.value);
      chownSync(target, 0, 0);
      chmodSync(target, 0o444);
    }
  }

  /** uid:gid and home of the image's USER (a name from /etc/passwd, or numbers). */
  user(user: string): { spec: string; home: string } {
    const [name, group] = user.split(':');
    const passwd = readFileSync(join(this.path, 'etc', 'passwd'), 'utf8');
    const entry = passwd.split('\n').find((line) => line.split(':')[0] === name || line.split(':')[2] === name);
    if (!entry) throw new Error(`user ${name} is not in the image's /etc/passwd`);
    const [, , uid, gid, , home] = entry.split(':');
    return { spec: `${uid}:${group ?? gid}`, home: home || '/' };
  }

  private async mount(args: string[], dir: string): Promise<void> {
    const target = join(this.path, dir);
    mkdirSync(target, { recursive: true });
    await tool('mount', [...args, target]);
    this.mounts.push(target);
  }

  async remove(): Promise<void> {
    const problems: string[] = [];
    for (const target of this.mounts.reverse()) {
      // -R: /dev was bound recursively; -l: a process of the instance that is still being reaped.
      await tool('umount', ['-R', '-l', target]).catch((err: Error) => problems.push(err.message));
    }
    this.mounts = [];
    await tool('buildah', ['umount', this.container]).catch((err: Error) => problems.push(err.message));
    await tool('buildah', ['rm', this.container]).catch((err: Error) => problems.push(err.message));
    if (problems.length) throw new Error(`cleaning up ${this.container}:\n${problems.join('\n')}`);
  }
}
