export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export interface AuthOptions {
  /** Key for session cookies and CSRF tokens: at least 32 characters. */
  sessionSecret: string;
  /** Secure cookies (and the __Host- prefix) in production, where there is TLS. */
  secureCookies: boolean;
  /** How long a login lasts. */
  sessionTtlMs?: number;
}

export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3_600_000;
