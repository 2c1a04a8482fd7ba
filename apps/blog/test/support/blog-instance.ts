import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HttpAdmin } from './http-admin.js';
import { freePort, type RunningProcess, startMain, waitForHttp } from './process.js';

export const INSTANCE_PASSWORD = 'a long enough admin password';

export interface BlogInstance {
  /** http://127.0.0.1:PORT, also its SITE_URL. */
  url: string;
  admin: HttpAdmin;
  process: RunningProcess;
  stop(): Promise<void>;
}

/**
 * The built app (dist/server/main.mjs) as its own process on a loopback port and a fresh SQLite
 * file, with SITE_URL its real address, so instances can link to and fetch each other. Signed in.
 */
export async function startBlogInstance(env: Record<string, string> = {}): Promise<BlogInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-instance-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startMain({
    DATABASE_PATH: join(dir, 'blog.db'),
    PORT: String(port),
    HOST: '127.0.0.1',
    SITE_URL: url,
    LOG_LEVEL: 'warn',
    DEMO_CONTENT: 'false',
    ADMIN_PASSWORD: INSTANCE_PASSWORD,
    SESSION_SECRET: 'instance-session-secret-of-enough-length',
    ...env,
  });
  try {
    await waitForHttp(`${url}/healthz`);
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw new Error(`instance did not start: ${(err as Error).message}\n${proc.output()}`, { cause: err });
  }
  const admin = new HttpAdmin(url);
  await admin.login('admin', INSTANCE_PASSWORD);
  return {
    url,
    admin,
    process: proc,
    async stop() {
      proc.child.kill('SIGTERM');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
