import { type ChildProcess, spawn } from 'node:child_process';

import { recordStopOf } from '../support/container.js';
import { InstanceCgroups } from './cgroups.js';
import { ContainerRoot, type ImageConfig } from './container-root.js';
import { type MemoryBreakdown, sampleMemory } from './memory-breakdown.js';
import { resolveSecrets, type SecretManagerStandIn } from './platform-secrets.js';
import type { ServiceSpec } from './service-spec.js';

/** Cloud Run's grace period between SIGTERM and SIGKILL. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** Where the image may write: RAM-backed here as on Cloud Run (the rest of the root stays on disk). */
export const WRITABLE_PATHS = ['/data', '/tmp', '/var/tmp', '/home/node'];

export type InstanceState = 'starting' | 'ready' | 'stopping' | 'exited' | 'failed';

export interface InstanceReport {
  name: string;
  revision: string;
  /** ms from the start request to the first passing probe (null: never ready). */
  startMs: number | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The platform had to SIGKILL it (grace period over, or a failed startup probe). */
  sigkilled: boolean;
  /** ms from SIGTERM to the last process gone (null: it exited by itself or was never stopped). */
  shutdownMs: number | null;
  failure: string | null;
  oomKills: number;
  peakMemoryBytes: number;
  cpuSeconds: { starting: number; serving: number; stopping: number };
}

export interface InstanceOptions {
  name: string;
  revision: string;
  service: string;
  image: ImageConfig;
  spec: ServiceSpec;
  /** Secret Manager, where the platform reads the versions service.yaml names at each start. */
  secretManager: SecretManagerStandIn;
  port: number;
  /** Extra variables the shared loopback network needs (HOST, LITESTREAM_ADDR, STORAGE_EMULATOR_HOST). */
  platformEnv: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One container instance: its root, its cgroups, its process tree, its startup probe. */
export class Instance {
  state: InstanceState = 'starting';
  readonly cgroups: InstanceCgroups;
  private root: ContainerRoot | null = null;
  private child: ChildProcess | null = null;
  private out = '';
  private readonly startedAt = Date.now();
  private readyAt: number | null = null;
  private stopRequestedAt: number | null = null;
  private cpuAtReady = 0;
  private cpuAtStop: number | null = null;
  private sigkilled = false;
  private failure: string | null = null;
  private exitInfo: InstanceReport['exit'] = null;
  private disposed: Promise<void> | null = null;
  private finalCpu = 0;
  private finalPeak = 0;
  private finalOom = 0;
  private shutdownMs: number | null = null;
  /** Resolves when every process of the instance is gone. */
  readonly exited: Promise<void>;
  private markExited!: () => void;
  /** Resolves true when the startup probe passed, false when the instance failed or exited first. */
  readonly ready: Promise<boolean>;
  private settleReady!: (ok: boolean) => void;

  private constructor(readonly options: InstanceOptions) {
    this.cgroups = InstanceCgroups.create(`inkstone-cloud-run/${options.name}`, options.spec.memoryBytes);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
  }

  get port(): number {
    return this.options.port;
  }

  output(): string {
    return this.out;
  }

  /** Where the instance's memory is now: processes, tmpfs by path (null once its root is gone). */
  memoryBreakdown(): MemoryBreakdown | null {
    return this.root ? sampleMemory(this.cgroups, this.root.path, WRITABLE_PATHS) : null;
  }

  /** Creates the root and starts the image's command; the startup probe runs in the background. */
  static async start(options: InstanceOptions): Promise<Instance> {
    const instance = new Instance(options);
    try {
      await instance.launch();
    } catch (err) {
      instance.state = 'failed';
      instance.failure = (err as Error).message;
      instance.settleReady(false);
      instance.markExited();
      await instance.dispose();
      throw err;
    }
    void instance.probe();
    return instance;
  }

  private async launch(): Promise<void> {
    const { image, spec, name } = this.options;
    // Before anything else: an instance whose secrets cannot be read never starts.
    const secret = await resolveSecrets(spec, this.options.secretManager, this.options.revision);
    this.root = await ContainerRoot.create(image, `inkstone-cloud-run-${name}`, WRITABLE_PATHS);
    for (const volume of spec.secretFiles) {
      await this.root.mountSecretFiles(
        volume.mountPath,
        volume.files.map((f) => ({ path: f.path, value: secret(f) })),
      );
    }
    const user = this.root.user(image.user);
    // As container runtimes do: HOME from the image's passwd entry, then the image's ENV.
    const env: Record<string, string> = { HOME: user.home, HOSTNAME: `localhost` };
    for (const pair of image.env) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    Object.assign(env, spec.env);
    for (const [key, ref] of Object.entries(spec.secretEnv)) env[key] = secret(ref);
    // What Cloud Run sets in every container (PORT is the instance's own port here: one loopback for all).
    Object.assign(env, {
      PORT: String(this.options.port),
      K_SERVICE: this.options.service,
      K_REVISION: this.options.revision,
      K_CONFIGURATION: this.options.service,
      ...this.options.platformEnv,
    });
    const command = [...image.entrypoint, ...image.cmd];
    const args = [
      '--userspec',
      user.spec,
      this.root.path,
      '/usr/bin/env',
      '-i',
      '-C',
      image.workingDir,
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...command,
    ];
    // The shell joins the cgroups first, so every process of the instance is counted from its start.
    const child = spawn('sh', ['-c', `${this.cgroups.joinScript()}\nexec chroot "$@"`, 'sh', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Each line stamped with ms since the instance was asked for: where a cold start's time goes.
    const capture = (d: Buffer) => {
      const stamp = `+${Date.now() - this.startedAt}ms `;
      this.out += d
        .toString()
        .split(/(?<=\n)/)
        .map((line) => stamp + line)
        .join('');
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      void this.onExit();
    });
  }

  /** The startup probe exactly as service.yaml declares it; failureThreshold misses → killed. */
  private async probe(): Promise<void> {
    const p = this.options.spec.startupProbe;
    // The probe's port is the container port; here every instance has its own.
    const port = p.port === this.options.spec.containerPort ? this.options.port : p.port;
    await sleep(p.initialDelaySeconds * 1000);
    let failures = 0;
    while (this.state === 'starting') {
      const started = Date.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}${p.path}`, { signal: AbortSignal.timeout(p.timeoutSeconds * 1000) });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 400 && this.state === 'starting') {
          this.readyAt = Date.now();
          this.cpuAtReady = this.cgroups.cpuSeconds();
          this.state = 'ready';
          this.settleReady(true);
          return;
        }
      } catch {
        // refused or timed out: one failure
      }
      if (this.state !== 'starting') break;
      failures++;
      if (failures >= p.failureThreshold) {
        this.failure = `startup probe failed ${failures} times (${p.periodSeconds}s apart, timeout ${p.timeoutSeconds}s)`;
        this.state = 'failed';
        this.sigkilled = true;
        this.cgroups.killAll('SIGKILL');
        break;
      }
      await sleep(Math.max(0, p.periodSeconds * 1000 - (Date.now() - started)));
    }
    this.settleReady(false);
  }

  /** SIGTERM to the container's first process (thawed: shutting down has CPU), SIGKILL 10 s later. */
  async stop(): Promise<void> {
    if (this.state === 'exited' || this.state === 'failed') return this.exited;
    if (this.state === 'starting') this.settleReady(false);
    this.state = 'stopping';
    this.stopRequestedAt = Date.now();
    // Litestream's upload in flight is cut when it shuts down: the bucket checks then know this reset.
    recordStopOf(this.exited);
    this.cpuAtStop = this.cgroups.cpuSeconds();
    this.cgroups.thaw();
    try {
      this.child?.kill('SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      this.sigkilled = true;
      this.cgroups.killAll('SIGKILL');
    }, SHUTDOWN_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private async onExit(): Promise<void> {
    // The container ends with its first process: whatever is left goes too.
    this.cgroups.killAll('SIGKILL');
    for (let i = 0; i < 200 && this.cgroups.pids().length > 0; i++) await sleep(10);
    if (this.stopRequestedAt !== null) this.shutdownMs = Date.now() - this.stopRequestedAt;
    if (this.state === 'starting') this.failure ??= `exited before the startup probe passed (${JSON.stringify(this.exitInfo)})`;
    this.finalCpu = this.cgroups.cpuSeconds();
    this.finalPeak = this.cgroups.memoryPeak();
    this.finalOom = this.cgroups.oomKills();
    if (this.finalOom > 0)
      this.failure ??= `OOM-killed (${this.finalOom} process(es)) at the ${this.options.spec.memoryBytes / 2 ** 20} MiB limit`;
    this.state = this.failure ? 'failed' : 'exited';
    this.settleReady(false);
    this.markExited();
  }

  report(): InstanceReport {
    const live = this.exitInfo === null;
    const cpu = live ? this.cgroups.cpuSeconds() : this.finalCpu;
    const atReady = this.readyAt !== null ? this.cpuAtReady : cpu;
    const atStop = this.cpuAtStop ?? cpu;
    return {
      name: this.options.name,
      revision: this.options.revision,
      startMs: this.readyAt !== null ? this.readyAt - this.startedAt : null,
      exit: this.exitInfo,
      sigkilled: this.sigkilled,
      shutdownMs: this.shutdownMs,
      failure: this.failure,
      oomKills: live ? this.cgroups.oomKills() : this.finalOom,
      peakMemoryBytes: live ? this.cgroups.memoryPeak() : this.finalPeak,
      cpuSeconds: { starting: atReady, serving: Math.max(0, atStop - atReady), stopping: Math.max(0, cpu - atStop) },
    };
  }

  /** Kills what is left, unmounts, removes the container and the cgroups. Safe to call twice. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (this.exitInfo === null && this.child) {
        this.cgroups.killAll('SIGKILL');
        await Promise.race([this.exited, sleep(5_000)]);
      }
      const problems: string[] = [];
      await this.cgroups.remove().catch((err: Error) => problems.push(err.message));
      await this.root?.remove().catch((err: Error) => problems.push(err.message));
      if (problems.length) throw new Error(problems.join('\n'));
    })();
    return this.disposed;
  }
}
