import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FREEZER_ROOT = '/sys/fs/cgroup/freezer';

/**
 * Request-based billing, as Cloud Run applies it: the instance's processes get CPU only while a
 * request is in flight. A cgroup v1 freezer holds every process of the instance (start.sh's
 * Litestream and the app it runs, and anything they start later); `during(fn)` thaws it for one
 * request and freezes it again when no request is left in flight. A frozen process keeps its
 * sockets: requests sent to it wait until it is thawed, responses it awaits wait in its buffers,
 * and its timers fire late, all at once, as on Cloud Run.
 */
export class InstanceFreezer {
  private inFlight = 0;

  private constructor(private readonly dir: string) {}

  /** Puts `rootPid` and all its descendants in a new freezer cgroup (thawed). */
  static create(name: string, rootPid: number): InstanceFreezer {
    if (!existsSync(join(FREEZER_ROOT, 'cgroup.procs'))) {
      throw new Error(
        `${FREEZER_ROOT} is missing: these tests need the cgroup v1 freezer hierarchy, writable (run them as root on a host with cgroup v1 or hybrid cgroups, as CI does)`,
      );
    }
    const dir = join(FREEZER_ROOT, `inkstone-${name}-${process.pid}-${Date.now()}`);
    mkdirSync(dir);
    const freezer = new InstanceFreezer(dir);
    for (const pid of [rootPid, ...descendants(rootPid)]) freezer.add(pid);
    return freezer;
  }

  add(pid: number): void {
    try {
      writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // it exited meanwhile
    }
  }

  get state(): string {
    return readFileSync(join(this.dir, 'freezer.state'), 'utf8').trim();
  }

  async freeze(): Promise<void> {
    await this.setState('FROZEN');
  }

  async thaw(): Promise<void> {
    await this.setState('THAWED');
  }

  /** Runs `fn` (one request) with the CPU on; frozen again once no request is in flight. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) await this.thaw();
    try {
      return await fn();
    } finally {
      if (--this.inFlight === 0) await this.freeze();
    }
  }

  /** Thaws and removes the cgroup once its processes are gone (they go back to the parent cgroup if not). */
  async remove(): Promise<void> {
    if (!existsSync(this.dir)) return;
    await this.thaw();
    for (const pid of readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(FREEZER_ROOT, 'cgroup.procs'), pid);
      } catch {
        // exited
      }
    }
    rmdirSync(this.dir);
  }

  private async setState(state: 'FROZEN' | 'THAWED'): Promise<void> {
    writeFileSync(join(this.dir, 'freezer.state'), state);
    // FREEZING lasts until every task has stopped; a request must not race ahead of it.
    for (const deadline = Date.now() + 5_000; this.state !== state;) {
      if (Date.now() > deadline) throw new Error(`freezer stuck in ${this.state}, wanted ${state}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Every live descendant of a process (children first found by their parent id). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next: number[] = [];
    for (const parent of frontier) {
      try {
        const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)]).toString();
        next.push(...out.split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // no children (ps exits 1)
      }
    }
    found.push(...next);
    frontier = next;
  }
  return found;
}
