import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { liveGenerationFor } from '../durability/writer-lease/live-generation.js';

/**
 * The Litestream binary: LITESTREAM_BIN (as start.sh reads it), else the one from the npm
 * package the image and the tests use, else `litestream` on the PATH.
 */
export function litestreamBinary(env = process.env): string {
  if (env.LITESTREAM_BIN) return env.LITESTREAM_BIN;
  try {
    const bin = join(
      dirname(createRequire(import.meta.url).resolve('@flydotio/litestream-linux-x64/package.json')),
      'litestream',
    );
    if (existsSync(bin)) return bin;
  } catch {
    // not installed (an optional dependency, linux/x64 only)
  }
  return 'litestream';
}

export interface RestoreOptions {
  replicaUrl: string;
  outputPath: string;
  /** Restore the database as it was at this moment; absent: the latest state. */
  timestamp?: Date;
  /** Litestream retries an unreachable bucket forever; give up after this long. */
  timeoutMs?: number;
}

/**
 * `litestream restore -o FILE [-generation G | -timestamp T] URL`, the one place a replica is
 * restored by the CLI. The latest state comes from the generation the writer lease names (a plain
 * restore could pick an abandoned generation that an old instance uploaded to last; see the
 * README's "Rollouts"). A point in time may lie in an older generation, so `-timestamp` is left
 * to Litestream's own choice.
 */
export async function restoreReplica(opts: RestoreOptions): Promise<void> {
  const args = ['restore', '-o', opts.outputPath];
  if (opts.timestamp) args.push('-timestamp', opts.timestamp.toISOString());
  else {
    const generation = await liveGenerationFor(opts.replicaUrl);
    if (generation) args.push('-generation', generation);
  }
  args.push(opts.replicaUrl);
  return new Promise((resolve, reject) => {
    const child = spawn(litestreamBinary(), args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    child.on('error', (err) => reject(new Error(`cannot run Litestream (${err.message}); set LITESTREAM_BIN.`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            signal
              ? `Litestream was stopped (${signal}): the bucket did not answer in time.`
              : `Litestream exited with code ${code}.`,
          ),
        );
    });
  });
}
