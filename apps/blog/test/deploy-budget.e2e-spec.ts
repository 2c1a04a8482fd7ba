import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { SHUTDOWN_BUDGET } from '../src/common/shutdown-budget.js';
import { loadConfig } from '../src/config/config.js';
import { PUBLISH_BOUND_MS } from '../src/durability/writer-lease/writer-lease.service.js';
import { ROOT } from './support/process.js';

/**
 * Offline: the time bounds in service.yaml, scripts/start.sh and the app agree with each other
 * and with Cloud Run's rules (startup probes up to 240 s; SIGKILL 10 s after SIGTERM).
 */

/** What the app may take from `exec node` to listening, migrations included, on a cold instance. */
const BOOT_ALLOWANCE_S = 20;
/** Cloud Run's maximum for a startup probe (failureThreshold × periodSeconds + initialDelaySeconds). */
const CLOUD_RUN_MAX_STARTUP_S = 240;

interface Probe {
  httpGet?: { path: string; port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

function startupProbe(): Probe {
  const service = parse(readFileSync(join(ROOT, 'service.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { startupProbe?: Probe }[] } } };
  };
  const probe = service.spec.template.spec.containers[0].startupProbe;
  if (!probe) throw new Error('service.yaml declares no startupProbe');
  return probe;
}

/** `NAME=${NAME:-default}` in start.sh, and proof that the script uses it as a `timeout` bound. */
function startShBound(script: string, name: string): number {
  const match = new RegExp(`^${name}=\\$\\{${name}:-(\\d+)\\}$`, 'm').exec(script);
  if (!match) throw new Error(`start.sh has no default for ${name}`);
  if (!new RegExp(`timeout "\\$${name}"`).test(script)) throw new Error(`start.sh does not bound a step with ${name}`);
  return Number(match[1]);
}

describe('deploy time budgets', () => {
  const script = readFileSync(join(ROOT, 'scripts', 'start.sh'), 'utf8');

  it('gives the startup probe room for the lease, the restore, the boot and the lease publish, within Cloud Run’s maximum', () => {
    const probe = startupProbe();
    expect(probe.httpGet?.path).toBe('/healthz');
    const budget = (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
    const lease = startShBound(script, 'LEASE_TIMEOUT');
    const restore = startShBound(script, 'RESTORE_TIMEOUT');
    const needed = lease + restore + BOOT_ALLOWANCE_S + PUBLISH_BOUND_MS / 1000;
    console.log(
      `startup: probe allows ${budget} s; worst case ${needed} s = lease ${lease} + restore ${restore} + boot ${BOOT_ALLOWANCE_S} + publish ${PUBLISH_BOUND_MS / 1000}`,
    );
    expect(budget).toBeLessThanOrEqual(CLOUD_RUN_MAX_STARTUP_S);
    expect(needed).toBeLessThanOrEqual(budget);
    // The lease and the restore are both bounded, each on its own: one slow step cannot eat the other's time.
    expect(script).toMatch(/timeout "\$LEASE_TIMEOUT" "\$NODE_BIN" [^\n]*writer-lease\.js" take/);
    expect(script).toMatch(/timeout "\$RESTORE_TIMEOUT" "\$LITESTREAM_BIN" restore/);
  });

  it('ends the app in time for Litestream’s final sync before Cloud Run’s SIGKILL', () => {
    const b = SHUTDOWN_BUDGET;
    const { replicationWaitMs } = loadConfig({ NODE_ENV: 'test' });
    expect(b.killAfterMs).toBe(10_000);
    // A save in flight at SIGTERM may finish its replication wait.
    expect(b.drainMs).toBeGreaterThanOrEqual(replicationWaitMs);
    // The drain, then the flush and the close, all before the app's hard stop...
    expect(b.drainMs + b.closeMs).toBeLessThan(b.exitByMs);
    // ...which leaves Litestream at least 2 s.
    expect(b.killAfterMs - b.exitByMs).toBeGreaterThanOrEqual(2_000);
  });
});
