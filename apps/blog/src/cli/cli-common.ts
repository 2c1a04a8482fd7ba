import { isAbsolute, resolve } from 'node:path';

/** The database the app would use: DATABASE_PATH, relative to the working directory, as in config.ts. */
export function databasePathFromEnv(env = process.env): string {
  const raw = env.DATABASE_PATH?.trim() || './data/inkstone.db';
  return isAbsolute(raw) ? raw : resolve(raw);
}

/** Ends a command with a message for the person who ran it, never a stack trace. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
