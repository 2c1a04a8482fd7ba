import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

import type { InstanceCgroups } from './cgroups.js';

/** Where an instance's memory is, at one moment: what the scenario's figures are made of. */
export interface MemoryBreakdown {
  /** What the kernel cannot reclaim: the processes' anonymous memory plus tmpfs pages (the OOM killer's view). */
  unreclaimable: number;
  /** Bytes used in each RAM-backed writable path (/data holds the database, its WAL and Litestream's shadow WAL). */
  tmpfs: Record<string, number>;
  /** Resident memory (VmRSS) of the instance's processes, summed by program name (node, litestream, sh). */
  rss: Record<string, number>;
}

/** Reads one sample: the cgroup's memory.stat, statfs of each tmpfs, /proc of each process in the group. */
export function sampleMemory(cgroups: InstanceCgroups, rootPath: string, writablePaths: string[]): MemoryBreakdown {
  const stat = cgroups.memoryStat();
  const tmpfs: Record<string, number> = {};
  for (const dir of writablePaths) {
    try {
      const fs = statfsSync(join(rootPath, dir));
      tmpfs[dir] = (fs.blocks - fs.bfree) * fs.bsize;
    } catch {
      // not mounted (the image has no such folder)
    }
  }
  const rss: Record<string, number> = {};
  for (const pid of cgroups.pids()) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      // By the program's name: Node 24 renames its main thread ("MainThread" in /proc's Name).
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      const name = argv0.split('/').pop() || (/^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?');
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      rss[name] = (rss[name] ?? 0) + kb * 1024;
    } catch {
      // exited between the listing and the read
    }
  }
  return { unreclaimable: (stat.total_rss ?? stat.rss) + (stat.total_shmem ?? stat.shmem), tmpfs, rss };
}

/** The highest value each figure reached over a run of samples (each figure's own peak, not one moment's). */
export function peaks(samples: MemoryBreakdown[]): MemoryBreakdown {
  const out: MemoryBreakdown = { unreclaimable: 0, tmpfs: {}, rss: {} };
  for (const s of samples) {
    out.unreclaimable = Math.max(out.unreclaimable, s.unreclaimable);
    for (const [k, v] of Object.entries(s.tmpfs)) out.tmpfs[k] = Math.max(out.tmpfs[k] ?? 0, v);
    for (const [k, v] of Object.entries(s.rss)) out.rss[k] = Math.max(out.rss[k] ?? 0, v);
  }
  return out;
}
