import { randomBytes } from 'node:crypto';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { AUTH_OPTIONS, type AuthOptions, DEFAULT_SESSION_TTL_MS } from './auth-options.js';
import { dummyHash, generatePassword, hashPassword, verifyPassword } from './password.js';
import { SessionCodec, type SessionPayload } from './session-codec.js';
import { User } from './user.entity.js';

export interface EnsureAdminResult {
  user: User;
  /** Set only when a password was generated now: print it once, it is stored only as a hash. */
  generatedPassword?: string;
  /** The configured password differed from the stored hash: the hash was replaced, sessions revoked. */
  rotated: boolean;
}

export interface AuthenticatedSession {
  user: User;
  session: SessionPayload;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');
  readonly codec: SessionCodec;
  private readonly ttl: number;
  /** The boot's check of the configured password, when it runs alongside the first requests. */
  private accountCheck: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly em: EntityManager,
    @Inject(AUTH_OPTIONS) options: AuthOptions,
  ) {
    this.codec = new SessionCodec(options.sessionSecret);
    this.ttl = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  /** Time source for expiry; tests move it. */
  now(): number {
    return Date.now();
  }

  /**
   * Makes sure the author's account exists and matches the configured password. Rotating the
   * secret rotates the password (and ends old sessions). With no password configured, an existing
   * account is kept as is and a new one gets a generated password.
   */
  async ensureAdmin(username: string, configuredPassword: string | null): Promise<EnsureAdminResult> {
    const em = this.em.fork();
    let user = await em.findOne(User, { username });
    if (!user) {
      // One author: a changed ADMIN_USERNAME renames the account rather than leaving the old one able to log in.
      const [only, more] = await em.find(User, {}, { limit: 2 });
      if (only && !more) {
        only.username = username;
        only.sessionEpoch++;
        if (configuredPassword && !(await verifyPassword(only.passwordHash, configuredPassword)))
          only.passwordHash = await hashPassword(configuredPassword);
        await em.flush();
        this.logger.log(`Admin account renamed to ${username}; older sessions revoked`);
        return { user: only, rotated: true };
      }
    }
    if (!user) {
      const generatedPassword = configuredPassword ? undefined : generatePassword(randomBytes);
      user = new User(username, await hashPassword(configuredPassword ?? generatedPassword!));
      await em.persistAndFlush(user);
      return { user, generatedPassword, rotated: false };
    }
    if (configuredPassword && !(await verifyPassword(user.passwordHash, configuredPassword))) {
      user.passwordHash = await hashPassword(configuredPassword);
      user.sessionEpoch++;
      await em.flush();
      this.logger.log(`Password for ${username} changed from the configured secret; older sessions revoked`);
      return { user, rotated: true };
    }
    return { user, rotated: false };
  }

  /** Whether any account exists yet: one indexed count, no password hashing. */
  async hasAccount(): Promise<boolean> {
    return (await this.em.fork().count(User, {})) > 0;
  }

  /**
   * Runs ensureAdmin without holding up the boot: an argon2 verification is ~30–70 ms of a cold
   * start that readers should not wait for. Sign-ins and session checks wait for it, so a rotated
   * password or revoked session is in force before any of them is answered.
   */
  ensureAdminInBackground(username: string, configuredPassword: string | null): Promise<EnsureAdminResult> {
    const check = this.ensureAdmin(username, configuredPassword);
    this.accountCheck = check;
    return check;
  }

  /** The user for these credentials, or null. Takes the same time whether or not the user exists. */
  async verifyCredentials(username: string, password: string): Promise<User | null> {
    await this.accountCheck;
    // No username holds a control character, and a NUL would cut the SQL text SQLite is handed (500).
    const user = /\p{Cc}/u.test(username) ? null : await this.em.findOne(User, { username });
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
    return user && ok ? user : null;
  }

  /** A new session cookie value for a user who just proved who they are. */
  issueSession(user: User): string {
    const iat = this.now();
    return this.codec.encode({ uid: user.id, epoch: user.sessionEpoch, sid: SessionCodec.randomId(), iat, exp: iat + this.ttl });
  }

  /** The session behind a cookie, if it is ours, unexpired and not revoked. */
  async authenticate(cookie: string | undefined): Promise<AuthenticatedSession | null> {
    await this.accountCheck;
    const session = this.codec.decode(cookie);
    if (!session || session.exp <= this.now()) return null;
    const user = await this.em.findOne(User, { id: session.uid });
    if (!user || user.sessionEpoch !== session.epoch) return null;
    return { user, session };
  }

  /** Ends every session of the user: cookies issued before now stop working everywhere. */
  async revokeSessions(userId: number): Promise<void> {
    const user = await this.em.findOneOrFail(User, { id: userId });
    user.sessionEpoch++;
    await this.em.flush();
  }

  async changePassword(userId: number, password: string): Promise<void> {
    const user = await this.em.findOneOrFail(User, { id: userId });
    user.passwordHash = await hashPassword(password);
    user.sessionEpoch++;
    await this.em.flush();
  }
}
