import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'freezer', 'cpuacct'] as const;
type Controller = (typeof CONTROLLERS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One instance's cgroups (v1): `memory` holds its processes and the tmpfs pages they write (the
 * limit from service.yaml, as Cloud Run counts its in-memory filesystem), `freezer` is how the
 * front proxy takes the CPU away between requests, `cpuacct` counts the CPU-seconds it used.
 */
export class InstanceCgroups {
  private constructor(readonly name: string) {}

  static create(name: string, memoryLimitBytes: number): InstanceCgroups {
    for (const controller of CONTROLLERS) {
      if (!existsSync(join(V1, controller))) {
        throw new Error(
          `cgroup v1 ${controller} hierarchy missing at ${join(V1, controller)}: the local Cloud Run needs it (run as root).`,
        );
      }
    }
    const groups = new InstanceCgroups(name);
    for (const controller of CONTROLLERS) mkdirSync(groups.dir(controller), { recursive: true });
    groups.write('memory', 'memory.limit_in_bytes', String(memoryLimitBytes));
    return groups;
  }

  dir(controller: Controller): string {
    return join(V1, controller, this.name);
  }

  /** Shell lines that move the shell running them into every group (run before exec'ing the instance). */
  joinScript(): string {
    return CONTROLLERS.map((c) => `echo $$ > ${join(this.dir(c), 'cgroup.procs')}`).join('\n');
  }

  pids(): number[] {
    return this.read('memory', 'cgroup.procs').split('\n').filter(Boolean).map(Number);
  }

  memoryLimit(): number {
    return Number(this.read('memory', 'memory.limit_in_bytes'));
  }

  memoryUsage(): number {
    return Number(this.read('memory', 'memory.usage_in_bytes'));
  }

  /** The high-water mark of processes + tmpfs + page cache, as the kernel charged it. */
  memoryPeak(): number {
    return Number(this.read('memory', 'memory.max_usage_in_bytes'));
  }

  /** memory.stat: rss, shmem (the tmpfs pages), cache, … in bytes. */
  memoryStat(): Record<string, number> {
    const stat: Record<string, number> = {};
    for (const line of this.read('memory', 'memory.stat').split('\n')) {
      const [key, value] = line.split(' ');
      if (key) stat[key] = Number(value);
    }
    return stat;
  }

  /** How many processes the kernel's OOM killer killed in this group. */
  oomKills(): number {
    const match = /^oom_kill (\d+)$/m.exec(this.read('memory', 'memory.oom_control'));
    return match ? Number(match[1]) : 0;
  }

  /** CPU time used by the group's processes, in seconds. */
  cpuSeconds(): number {
    return Number(this.read('cpuacct', 'cpuacct.usage')) / 1e9;
  }

  frozen(): boolean {
    return this.read('freezer', 'freezer.state').trim() !== 'THAWED';
  }

  /** Stops every process of the group; resolves once the kernel reports FROZEN. */
  async freeze(): Promise<void> {
    this.write('freezer', 'freezer.state', 'FROZEN');
    for (let i = 0; i < 500; i++) {
      if (this.read('freezer', 'freezer.state').trim() === 'FROZEN') return;
      await sleep(2);
    }
    throw new Error(`cgroup ${this.name} did not freeze within 1 s`);
  }

  thaw(): void {
    this.write('freezer', 'freezer.state', 'THAWED');
  }

  /** Signals every process still in the group (thawed first: a frozen process cannot die). */
  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.thaw();
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Kills what is left and removes the groups; waits for the last process to be reaped. */
  async remove(): Promise<void> {
    for (let i = 0; i < 200 && this.exists() && this.pids().length > 0; i++) {
      this.killAll('SIGKILL');
      await sleep(25);
    }
    for (const controller of CONTROLLERS) {
      const dir = this.dir(controller);
      for (let i = 0; existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch (err) {
          if (i >= 100) throw err;
          await sleep(25);
        }
      }
    }
  }

  private exists(): boolean {
    return existsSync(this.dir('memory'));
  }

  private read(controller: Controller, file: string): string {
    return readFileSync(join(this.dir(controller), file), 'utf8');
  }

  private write(controller: Controller, file: string, value: string): void {
    writeFileSync(join(this.dir(controller), file), value);
  }
}
