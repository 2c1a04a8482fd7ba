import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Removes what an earlier run killed half-way left behind (its jest process is gone): instance
 * processes, mounts, buildah containers and cgroups named `inkstone-cloud-run-<pid>-<n>`.
 * Another run's instances (its pid alive) are left alone.
 */
export async function sweepLeftovers(): Promise<void> {
  const dead = (name: string) => {
    const match = /^(?:inkstone-cloud-run-)?(\d+)-\d+$/.exec(name);
    return match !== null && !alive(Number(match[1]));
  };
  for (const controller of ['freezer', 'memory', 'cpuacct']) {
    const parent = `/sys/fs/cgroup/${controller}/inkstone-cloud-run`;
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory() && dead(d.name))) {
      const dir = join(parent, name.name);
      if (controller === 'freezer') await run('sh', ['-c', `echo THAWED > ${dir}/freezer.state`]).catch(() => undefined);
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
  const { stdout } = await run('buildah', ['containers', '--format', '{{.ContainerName}}']).catch(() => ({ stdout: '' }));
  for (const name of stdout.split('\n').filter((n) => n.startsWith('inkstone-cloud-run-') && dead(n))) {
    const { stdout: path } = await run('buildah', ['mount', name]).catch(() => ({ stdout: '' }));
    if (path.trim()) {
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1])
        .filter((target) => target?.startsWith(`${path.trim()}/`))
        .sort((a, b) => b.length - a.length);
      for (const target of mounts) await run('umount', ['-R', '-l', target]).catch(() => undefined);
    }
    await run('buildah', ['rm', name]).catch(() => undefined);
  }
  for (const controller of ['freezer', 'memory', 'cpuacct']) {
    const parent = `/sys/fs/cgroup/${controller}/inkstone-cloud-run`;
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory() && dead(d.name))) {
      try {
        rmdirSync(join(parent, name.name));
      } catch {
        // a process is still exiting: the next run sweeps it
      }
    }
  }
}
