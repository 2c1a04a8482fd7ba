/** The repository the deploy files live in, and running its scripts. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..', '..', '..');
export const readRepo = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}) {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
  }) as SpawnSyncReturns<string>;
}
