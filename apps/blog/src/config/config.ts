import { dirname, isAbsolute, posix, resolve } from 'node:path';

import type { SecretSource } from '@app/auth';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AppConfig {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  /** Canonical origin, no trailing slash. */
  readonly siteUrl: string;
  readonly adminUsername: string;
  readonly adminPassword: SecretSource;
  readonly sessionSecret: SecretSource;
  readonly litestreamReplicaUrl: string | null;
  /** Litestream's Prometheus endpoint, set by start.sh when the app runs under Litestream. */
  readonly litestreamMetricsUrl: string | null;
  /** How long an author's save waits for Litestream to confirm replication. */
  readonly replicationWaitMs: number;
  /** The writer lease start.sh took for this instance (gcs:// replicas only); null: no lease. */
  readonly writerLease: WriterLeaseConfig | null;
  readonly logLevel: LogLevel;
  /** Create the welcome post and About page on a database that never had content. */
  readonly demoContent: boolean;
  /** Where image bytes live (never in the database). */
  readonly mediaStore: MediaStoreConfig;
  /** The in-memory cache of hot images, in bytes. */
  readonly mediaCacheBytes: number;
  /**
   * Tests only (WEBMENTION_ALLOW_LOOPBACK): Webmention fetches may reach 127.0.0.1/::1, so two
   * instances on loopback can talk. Private, link-local and other addresses stay refused.
   */
  readonly webmentionAllowLoopback: boolean;
  /** How long a social card's render may take before the save goes on without it. */
  readonly socialCardTimeoutMs: number;
}

export type MediaStoreConfig = { kind: 'folder'; path: string } | { kind: 'gcs'; bucket: string; prefix: string };

export interface WriterLeaseConfig {
  /** Random id written into the lease object. */
  readonly holder: string;
  /** The lease object's generation right after this instance took it. */
  readonly objectGeneration: number;
}

/** Every problem with the environment, reported together so one restart fixes them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const production = env.NODE_ENV === 'production';

  const port = parsePort(get('PORT'), production ? 8080 : 3000, problems);
  const host = get('HOST') ?? '0.0.0.0';

  const dbRaw = get('DATABASE_PATH') ?? './data/inkstone.db';
  const databasePath = dbRaw === ':memory:' ? dbRaw : isAbsolute(dbRaw) ? dbRaw : resolve(cwd, dbRaw);

  const siteUrl = parseSiteUrl(get('SITE_URL') ?? `http://localhost:${port}`, problems);

  const adminUsername = get('ADMIN_USERNAME') ?? 'admin';
  if (!/^[\w.@-]{1,64}$/.test(adminUsername)) {
    problems.push('ADMIN_USERNAME may use letters, digits and . _ @ - (at most 64 characters).');
  }
  const adminPassword = secretSource('ADMIN_PASSWORD', get, problems);
  const sessionSecret = secretSource('SESSION_SECRET', get, problems);
  if (production) {
    if (adminPassword.kind === 'none') {
      problems.push('ADMIN_PASSWORD, ADMIN_PASSWORD_FILE or ADMIN_PASSWORD_SECRET is required in production.');
    }
    if (sessionSecret.kind === 'none') {
      problems.push('SESSION_SECRET, SESSION_SECRET_FILE or SESSION_SECRET_SECRET is required in production.');
    }
  }

  const replica = get('LITESTREAM_REPLICA_URL') ?? null;
  if (replica && !/^(gcs|s3|file|abs|sftp):\/\/\S+$/.test(replica)) {
    problems.push('LITESTREAM_REPLICA_URL must look like gcs://bucket/path (got a value of another form).');
  }

  const metrics = get('LITESTREAM_METRICS_URL') ?? null;
  if (metrics && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\/\S*$/.test(metrics)) {
    problems.push('LITESTREAM_METRICS_URL must be an http URL on the loopback interface, e.g. http://127.0.0.1:9090/metrics.');
  }
  const waitRaw = get('REPLICATION_WAIT_MS') ?? '5000';
  const replicationWaitMs = Number(waitRaw);
  if (!/^\d+$/.test(waitRaw) || replicationWaitMs > 60_000)
    problems.push('REPLICATION_WAIT_MS must be a whole number of milliseconds up to 60000.');

  const writerLease = parseWriterLease(get('WRITER_LEASE_HOLDER'), get('WRITER_LEASE_GENERATION'), replica, problems);

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);

  const demo = (get('DEMO_CONTENT') ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(demo)) problems.push('DEMO_CONTENT must be true or false.');

  const mediaStore = parseMediaStore(get('MEDIA_STORE_URL'), replica, databasePath, cwd, problems);
  const cacheRaw = get('MEDIA_CACHE_MB') ?? '16';
  if (!/^\d+$/.test(cacheRaw) || Number(cacheRaw) > 1024)
    problems.push('MEDIA_CACHE_MB must be a whole number of megabytes up to 1024.');

  const loopback = (get('WEBMENTION_ALLOW_LOOPBACK') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(loopback)) problems.push('WEBMENTION_ALLOW_LOOPBACK must be true or false.');
  const allowLoopback = loopback === 'true' || loopback === '1';
  // Why refused outright: in production a loopback fetch reaches the instance itself and the
  // Litestream metrics port; the switch exists for two test instances on one machine only.
  if (allowLoopback && production) problems.push('WEBMENTION_ALLOW_LOOPBACK is for tests only and is refused in production.');
  const cardRaw = get('SOCIAL_CARD_TIMEOUT_MS') ?? '5000';
  if (!/^\d+$/.test(cardRaw) || Number(cardRaw) < 1 || Number(cardRaw) > 60_000)
    problems.push('SOCIAL_CARD_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000.');

  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    production,
    port,
    host,
    databasePath,
    siteUrl,
    adminUsername,
    adminPassword,
    sessionSecret,
    litestreamReplicaUrl: replica,
    litestreamMetricsUrl: metrics,
    replicationWaitMs,
    writerLease,
    logLevel,
    demoContent: demo === 'true' || demo === '1',
    mediaStore,
    mediaCacheBytes: Number(cacheRaw) * 1024 * 1024,
    webmentionAllowLoopback: allowLoopback,
    socialCardTimeoutMs: Number(cardRaw),
  });
}

const GCS_URL = /^gcs:\/\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])\/(.+?)\/*$/;

/** A gcs:// replica's default media store: the prefix `media` next to the replica's path. */
export function mediaBesideReplica(replica: string): MediaStoreConfig | null {
  const match = GCS_URL.exec(replica);
  if (!match) return null;
  const parent = posix.dirname(match[2]);
  return { kind: 'gcs', bucket: match[1], prefix: parent === '.' ? 'media' : `${parent}/media` };
}

/**
 * MEDIA_STORE_URL: `gcs://bucket/prefix` or a folder. Unset: beside the database — the folder
 * `media/` next to the file locally, or, with a gcs:// replica, the prefix `media` next to the
 * replica's path in the same bucket (gcs://b/blog/inkstone.db → gcs://b/blog/media).
 */
function parseMediaStore(
  raw: string | undefined,
  replica: string | null,
  databasePath: string,
  cwd: string,
  problems: string[],
): MediaStoreConfig {
  if (raw !== undefined) {
    if (raw.startsWith('gcs://')) {
      const match = GCS_URL.exec(raw);
      if (match) return { kind: 'gcs', bucket: match[1], prefix: match[2] };
      problems.push('MEDIA_STORE_URL must look like gcs://bucket/prefix or be a folder path.');
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      problems.push('MEDIA_STORE_URL must look like gcs://bucket/prefix or be a folder path.');
    } else {
      return { kind: 'folder', path: isAbsolute(raw) ? raw : resolve(cwd, raw) };
    }
  }
  const fromReplica = replica ? mediaBesideReplica(replica) : null;
  if (fromReplica) return fromReplica;
  const beside = databasePath === ':memory:' ? resolve(cwd, 'data') : dirname(databasePath);
  return { kind: 'folder', path: resolve(beside, 'media') };
}

/** Set together by start.sh after it took the lease (see scripts/start.sh). */
function parseWriterLease(
  holder: string | undefined,
  generation: string | undefined,
  replica: string | null,
  problems: string[],
): WriterLeaseConfig | null {
  if (holder === undefined && generation === undefined) return null;
  if (!holder || !/^[0-9a-f]{8,64}$/.test(holder) || !generation || !/^[1-9]\d{0,20}$/.test(generation)) {
    problems.push('WRITER_LEASE_HOLDER (hex id) and WRITER_LEASE_GENERATION (a number) are set together, by start.sh.');
    return null;
  }
  if (!replica?.startsWith('gcs://')) problems.push('WRITER_LEASE_HOLDER needs a gcs:// LITESTREAM_REPLICA_URL.');
  return { holder, objectGeneration: Number(generation) };
}

function parsePort(raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    problems.push(`PORT must be a whole number from 0 to 65535 (got "${raw}").`);
    return fallback;
  }
  return port;
}

function parseSiteUrl(raw: string, problems: string[]): string {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    if (url.search || url.hash) throw new Error('query');
    return url.toString().replace(/\/+$/, '');
  } catch {
    problems.push(`SITE_URL must be an absolute http(s) URL without query or fragment (got "${raw}").`);
    return 'http://localhost';
  }
}

/** NAME, NAME_FILE or NAME_SECRET: at most one may be set. Values are never echoed. */
function secretSource(name: string, get: (n: string) => string | undefined, problems: string[]): SecretSource {
  const literal = get(name);
  const file = get(`${name}_FILE`);
  const secret = get(`${name}_SECRET`);
  const set = [literal && name, file && `${name}_FILE`, secret && `${name}_SECRET`].filter(Boolean);
  if (set.length > 1) {
    problems.push(`Set only one of ${set.join(', ')}.`);
    return { kind: 'none' };
  }
  if (literal) return { kind: 'literal', value: literal };
  if (file) return { kind: 'file', path: file };
  if (secret) {
    if (!/^projects\/[^/]+\/secrets\/[^/]+(\/versions\/[^/]+)?$/.test(secret)) {
      problems.push(`${name}_SECRET must be a Secret Manager name: projects/PROJECT/secrets/NAME[/versions/VERSION].`);
      return { kind: 'none' };
    }
    return { kind: 'secret-manager', name: secret.includes('/versions/') ? secret : `${secret}/versions/latest` };
  }
  return { kind: 'none' };
}
