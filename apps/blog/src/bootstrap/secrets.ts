import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { readSecret } from '@app/auth';

import { type AppConfig, ConfigError } from '../config/config.js';

export const RESOLVED_SECRETS = Symbol('RESOLVED_SECRETS');

export interface ResolvedSecrets {
  /** Null when none is configured (local only): the admin account then keeps or gets a generated one. */
  adminPassword: string | null;
  sessionSecret: string;
}

const MIN_PASSWORD = 12;
const MIN_SESSION_SECRET = 32;

/**
 * Reads both secrets from wherever the configuration says, once, before the app is built. In
 * production a weak value stops the boot; locally a missing session secret is generated into
 * the data directory so sessions survive restarts.
 */
export async function resolveSecrets(config: AppConfig): Promise<ResolvedSecrets> {
  const [adminPassword, sessionSecret] = await Promise.all([readSecret(config.adminPassword), readSecret(config.sessionSecret)]);
  const problems: string[] = [];
  if (adminPassword !== null && adminPassword.length < MIN_PASSWORD && config.production) {
    problems.push(`The admin password (ADMIN_PASSWORD*) must have at least ${MIN_PASSWORD} characters in production.`);
  }
  if (sessionSecret !== null && sessionSecret.length < MIN_SESSION_SECRET && config.production) {
    problems.push(
      `SESSION_SECRET* must have at least ${MIN_SESSION_SECRET} characters in production (try: openssl rand -base64 48).`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return { adminPassword, sessionSecret: sessionSecret ?? localSessionSecret(config.databasePath) };
}

function localSessionSecret(databasePath: string): string {
  const dir = databasePath === ':memory:' ? process.cwd() : dirname(databasePath);
  const file = join(dir, '.session-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}
