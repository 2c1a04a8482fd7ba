/** litestream.yml against Litestream v0.3.13's config (its keys, Go durations, os.ExpandEnv). */
import { asArray, at, isObj } from './documents.js';

/** The yaml tags of Litestream v0.3.13's config structs (cmd/litestream/main.go), level by level. */
export const LITESTREAM_KEYS = {
  top: ['addr', 'dbs', 'exec', 'access-key-id', 'secret-access-key', 'logging'],
  logging: ['level', 'type', 'stderr'],
  db: [
    'path',
    'meta-path',
    'monitor-interval',
    'checkpoint-interval',
    'min-checkpoint-page-count',
    'max-checkpoint-page-count',
    'replicas',
  ],
  replica: [
    'type',
    'name',
    'path',
    'url',
    'retention',
    'retention-check-interval',
    'sync-interval',
    'snapshot-interval',
    'validation-interval',
    'access-key-id',
    'secret-access-key',
    'region',
    'bucket',
    'endpoint',
    'force-path-style',
    'skip-verify',
    'account-name',
    'account-key',
    'host',
    'user',
    'password',
    'key-path',
    'age',
  ],
  age: ['identities', 'recipients'],
};
const DB_DURATIONS = ['monitor-interval', 'checkpoint-interval'];
const REPLICA_DURATIONS = ['retention', 'retention-check-interval', 'sync-interval', 'snapshot-interval', 'validation-interval'];

/** Go's time.ParseDuration syntax. A bare YAML number would decode to nanoseconds, so it must be a string. */
export const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/** os.ExpandEnv, which Litestream applies to the whole file: `$VAR` and `${VAR}`, unset = empty. */
export function expandEnv(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (_, a?: string, b?: string) => env[a ?? b ?? ''] ?? '');
}

export function litestreamProblems(config: unknown): string[] {
  const p: string[] = [];
  const unknown = (v: unknown, allowed: string[], where: string) => {
    if (!isObj(v)) return;
    for (const k of Object.keys(v))
      if (!allowed.includes(k)) p.push(`${where}.${k}: Litestream v0.3.13 does not know this key (it would be ignored)`);
  };
  const duration = (v: unknown, key: string, where: string) => {
    if (!isObj(v) || v[key] === undefined) return;
    const d = v[key];
    if (typeof d !== 'string' || !GO_DURATION.test(d))
      p.push(`${where}.${key}: ${JSON.stringify(d)} is not a Go duration string like "1s"`);
  };
  unknown(config, LITESTREAM_KEYS.top, 'config');
  unknown(at(config, 'logging'), LITESTREAM_KEYS.logging, 'logging');
  const dbs = asArray(at(config, 'dbs'));
  if (!dbs.length) p.push('no dbs');
  dbs.forEach((db, i) => {
    unknown(db, LITESTREAM_KEYS.db, `dbs[${i}]`);
    for (const k of DB_DURATIONS) duration(db, k, `dbs[${i}]`);
    const replicas = asArray(at(db, 'replicas'));
    if (!replicas.length) p.push(`dbs[${i}] has no replicas`);
    replicas.forEach((r, j) => {
      const where = `dbs[${i}].replicas[${j}]`;
      unknown(r, LITESTREAM_KEYS.replica, where);
      unknown(at(r, 'age'), LITESTREAM_KEYS.age, `${where}.age`);
      for (const k of REPLICA_DURATIONS) duration(r, k, where);
      if (at(r, 'sync-interval') === undefined) p.push(`${where}: sync-interval is not set`);
    });
  });
  return p;
}

export function isLoopback(addr: string): boolean {
  const host = /^\[?([^\]]*)\]?:\d+$/.exec(addr)?.[1];
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || (host?.startsWith('127.') ?? false);
}
