import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InstanceCgroups } from './cgroups.js';
import { parseQuantity, renderServiceSpec } from './service-spec.js';
import { sleep } from './scenario.js';

/**
 * The local Cloud Run's own rules, proved on plain processes (no image needed): a frozen group
 * really stops a timer-driven write, tmpfs pages count against the memory limit and an OOM kill
 * is reported, and the rendered service.yaml is what the harness applies.
 */
describe('the local Cloud Run itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-harness-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function inGroup(groups: InstanceCgroups, script: string) {
    const child = spawn('sh', ['-c', `${groups.joinScript()}\n${script}`], { stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited };
  }

  it('freezing stops a background writer until it is thawed', async () => {
    const groups = InstanceCgroups.create(`harness-${process.pid}-1`, 64 * 2 ** 20);
    const file = join(dir, 'ticks');
    try {
      const { exited } = await inGroup(groups, `while :; do echo tick >> ${file}; sleep 0.05; done`);
      await sleep(500);
      await groups.freeze();
      const atFreeze = statSync(file).size;
      const cpuAtFreeze = groups.cpuSeconds();
      await sleep(1_000);
      const whileFrozen = statSync(file).size - atFreeze;
      const cpuWhileFrozen = groups.cpuSeconds() - cpuAtFreeze;
      groups.thaw();
      await sleep(500);
      const afterThaw = statSync(file).size - atFreeze - whileFrozen;
      process.stdout.write(
        `cloud-run: harness freeze: bytesWhileFrozen=${whileFrozen} bytesAfterThaw=${afterThaw} cpuWhileFrozenS=${cpuWhileFrozen}\n`,
      );
      expect(whileFrozen).toBe(0);
      expect(cpuWhileFrozen).toBe(0);
      expect(afterThaw).toBeGreaterThan(0);
      groups.killAll();
      await exited;
    } finally {
      await groups.remove();
    }
  });

  it('tmpfs pages written by the instance count against its memory limit: over it, an OOM kill', async () => {
    const groups = InstanceCgroups.create(`harness-${process.pid}-2`, 64 * 2 ** 20);
    const mount = join(dir, 'tmpfs');
    mkdirSync(mount);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mount]);
    try {
      // 32 MiB fits; then 96 MiB more cannot: the writer is killed, nothing is left in its group.
      const small = await inGroup(groups, `head -c 33554432 /dev/zero > ${mount}/a`);
      expect(await small.exited).toEqual({ code: 0, signal: null });
      const charged = groups.memoryUsage();
      const big = await inGroup(groups, `head -c 100663296 /dev/zero > ${mount}/b`);
      const result = await big.exited;
      process.stdout.write(
        `cloud-run: harness oom: chargedAfter32MiB=${Math.round(charged / 2 ** 20)}MiB oomKills=${groups.oomKills()} exit=${JSON.stringify(result)}\n`,
      );
      expect(charged).toBeGreaterThanOrEqual(32 * 2 ** 20);
      expect(groups.oomKills()).toBeGreaterThan(0);
      expect(result.code === 0 && result.signal === null).toBe(false);
    } finally {
      execFileSync('umount', [mount]);
      await groups.remove();
    }
  });

  it('reads the rendered service.yaml: memory, probe, secrets, env', () => {
    const { spec, yaml } = renderServiceSpec({
      SERVICE: 'inkstone',
      REGION: 'us-central1',
      RUNTIME_SERVICE_ACCOUNT: 'sa@p.iam.gserviceaccount.com',
      IMAGE: 'localhost/inkstone:local',
      SITE_URL: 'http://127.0.0.1:1',
      BUCKET: 'b',
      ADMIN_USERNAME: 'admin',
    });
    expect(yaml.split('\n').filter((line) => !line.trim().startsWith('#'))).not.toContainEqual(expect.stringMatching(/\$\{/));
    const source = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'service.yaml'), 'utf8');
    expect(spec.memoryBytes).toBe(parseQuantity(/^\s*memory: (\S+)$/m.exec(source)![1]));
    expect(spec.maxScale).toBe(1);
    expect(spec.cpuThrottling).toBe(true);
    expect(spec.env.LITESTREAM_REPLICA_URL).toBe('gcs://b/inkstone.db');
    expect(spec.secretEnv.SESSION_SECRET).toEqual({ secret: 'inkstone-session-secret', version: 'latest' });
    expect(spec.secretFiles).toEqual([
      { mountPath: '/secrets/admin', files: [{ path: 'password', secret: 'inkstone-admin-password', version: 'latest' }] },
    ]);
    expect(spec.startupProbe.path).toBe('/healthz');
  });
});
