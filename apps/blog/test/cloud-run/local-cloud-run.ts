import { randomBytes } from 'node:crypto';
import { existsSync, rmdirSync } from 'node:fs';

import type { GcsStandIn } from '../support/gcs-stand-in.js';
import { freePort } from '../support/process.js';
import { inspectImage } from './container-root.js';
import { FrontProxy } from './front-proxy.js';
import { Instance, type InstanceReport } from './instance.js';
import { sweepLeftovers } from './leftovers.js';
import { Meter } from './meter.js';
import type { SecretManagerStandIn } from './platform-secrets.js';
import { renderServiceSpec, type ServiceSpec } from './service-spec.js';

export const DEFAULT_IMAGE = process.env.CLOUD_RUN_IMAGE ?? 'localhost/inkstone:local';
export const ADMIN_USERNAME = 'admin';

export interface LocalCloudRunOptions {
  gcs: GcsStandIn;
  bucket: string;
  /** Secret Manager (the project's gRPC stand-in), read at each instance start (platform-secrets.ts). */
  secretManager: SecretManagerStandIn;
  image?: string;
  /** Changes to the rendered service (a test that breaks a rule on purpose). */
  editSpec?: (spec: ServiceSpec) => void;
}

/** The two secrets service.yaml names, with values good enough for production's checks. */
export function defaultSecrets(): Record<string, string> {
  return {
    'inkstone-admin-password': `admin-${randomBytes(12).toString('hex')}`,
    'inkstone-session-secret': randomBytes(36).toString('base64'),
  };
}

let instanceCounter = 0;

/**
 * A local Cloud Run for one service: the rendered service.yaml applied to the real image, a front
 * proxy with request-based billing, scale from zero on the first request, maxScale 1 with the brief
 * overlap of two revisions during a rollout, and the counts the cost model needs.
 */
export class LocalCloudRun {
  readonly instances: Instance[] = [];
  private revisionNumber = 0;
  /** The revision that has the traffic. */
  private trafficRevision = '';
  private serving: Instance | null = null;
  private coldStart: Promise<Instance> | null = null;

  private constructor(
    readonly url: string,
    readonly spec: ServiceSpec,
    readonly yaml: string,
    readonly meter: Meter,
    readonly proxy: FrontProxy,
    private readonly options: LocalCloudRunOptions & { image: string },
    private readonly imageConfig: Awaited<ReturnType<typeof inspectImage>>,
  ) {}

  static async create(options: LocalCloudRunOptions): Promise<LocalCloudRun> {
    if (process.getuid?.() !== 0) throw new Error('The local Cloud Run needs root (mounts, cgroups, chroot): run it as root.');
    await sweepLeftovers();
    const image = options.image ?? DEFAULT_IMAGE;
    const imageConfig = await inspectImage(image);
    const proxyPort = await freePort();
    const url = `http://127.0.0.1:${proxyPort}`;
    const { yaml, spec } = renderServiceSpec({
      SERVICE: 'inkstone',
      REGION: 'us-central1',
      RUNTIME_SERVICE_ACCOUNT: 'inkstone-runtime@local-project.iam.gserviceaccount.com',
      IMAGE: image,
      SITE_URL: url,
      BUCKET: options.bucket,
      ADMIN_USERNAME,
    });
    options.editSpec?.(spec);
    const meter = new Meter(options.gcs, options.bucket);
    let self: LocalCloudRun | null = null;
    const proxy = new FrontProxy(() => self!.route(), meter, spec.timeoutSeconds);
    await proxy.listen(proxyPort);
    self = new LocalCloudRun(url, spec, yaml, meter, proxy, { ...options, image }, imageConfig);
    self.trafficRevision = self.nextRevision();
    return self;
  }

  /** The instance that has the traffic now (null when scaled to zero). */
  get current(): Instance | null {
    return this.serving;
  }

  reports(): InstanceReport[] {
    return this.instances.map((i) => i.report());
  }

  private nextRevision(): string {
    this.revisionNumber++;
    return `inkstone-${String(this.revisionNumber).padStart(5, '0')}-${randomBytes(2).toString('hex').slice(0, 3)}`;
  }

  /** Where a request goes: the serving instance, or a new one of the revision with the traffic. */
  private async route(): Promise<Instance> {
    if (this.serving?.state === 'ready') return this.serving;
    this.coldStart ??= this.startInstance(this.trafficRevision).then(
      (instance) => {
        this.serving = instance;
        this.coldStart = null;
        return instance;
      },
      (err: unknown) => {
        this.coldStart = null;
        throw err;
      },
    );
    return this.coldStart;
  }

  /** Starts an instance of a revision and waits for its startup probe. Throws (with its output) if it fails. */
  private async startInstance(revision: string): Promise<Instance> {
    const live = this.instances.filter((i) => i.state === 'starting' || i.state === 'ready');
    // maxScale: 1 — a second instance only while a rollout overlaps two revisions.
    if (live.filter((i) => i.options.revision === revision).length >= this.spec.maxScale) {
      throw new Error(`maxScale ${this.spec.maxScale} reached for ${revision}`);
    }
    const [port, litestreamPort] = [await freePort(), await freePort()];
    const instance = await Instance.start({
      name: `${process.pid}-${++instanceCounter}`,
      revision,
      service: 'inkstone',
      image: this.imageConfig,
      spec: this.spec,
      secretManager: this.options.secretManager,
      port,
      platformEnv: {
        // One loopback for every instance here (Cloud Run gives each its own network): keep the
        // app off other interfaces and give each instance's Litestream its own metrics port.
        HOST: '127.0.0.1',
        LITESTREAM_ADDR: `127.0.0.1:${litestreamPort}`,
        // The bucket and the metadata server's token route (the lease client authenticates as on Cloud Run).
        ...this.options.gcs.env,
      },
    });
    this.instances.push(instance);
    if (!(await instance.ready)) {
      await instance.exited;
      const report = instance.report();
      throw new Error(`instance ${instance.options.name} failed to start: ${report.failure}\n${instance.output()}`);
    }
    await this.proxy.settle(instance);
    return instance;
  }

  /** Starts the service's first instance without a request (a test that times the cold start does not). */
  async warm(): Promise<Instance> {
    return this.route();
  }

  /**
   * A new revision: its instance starts while the old one still serves (maxScale is exceeded
   * briefly, as Cloud Run does); traffic moves when it is ready; the old instance gets SIGTERM.
   * Resolves when traffic has moved; `retired` resolves when the old instance is gone.
   */
  async deploy(): Promise<{ next: Instance; previous: Instance | null; retired: Promise<void> }> {
    const revision = this.nextRevision();
    const next = await this.startInstance(revision);
    const previous = this.serving;
    this.trafficRevision = revision;
    this.serving = next;
    return { next, previous, retired: previous ? previous.stop() : Promise.resolve() };
  }

  /** Idle long enough: Cloud Run scales the service to zero (SIGTERM, SIGKILL 10 s later). */
  async scaleToZero(): Promise<InstanceReport | null> {
    const instance = this.serving;
    this.serving = null;
    if (!instance) return null;
    await instance.stop();
    return instance.report();
  }

  /** Stops every instance and removes everything it made (call it in afterAll, also after a failure). */
  async close(): Promise<void> {
    const problems: string[] = [];
    await this.proxy.close().catch((err: Error) => problems.push(err.message));
    for (const instance of this.instances) {
      await instance.stop().catch((err: Error) => problems.push(err.message));
      await instance.dispose().catch((err: Error) => problems.push(err.message));
    }
    for (const controller of ['memory', 'freezer', 'cpuacct']) {
      const dir = `/sys/fs/cgroup/${controller}/inkstone-cloud-run`;
      try {
        if (existsSync(dir)) rmdirSync(dir);
      } catch {
        // another run's instances are still in there
      }
    }
    if (problems.length) throw new Error(`cleaning up the local Cloud Run:\n${problems.join('\n')}`);
  }
}
