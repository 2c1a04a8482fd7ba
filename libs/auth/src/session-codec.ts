import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionPayload {
  /** User id. */
  uid: number;
  /** The user's session epoch when issued. */
  epoch: number;
  /** Random id: every login gets a new one, so a session cannot be fixed in advance. */
  sid: string;
  /** Issued at and expires at, epoch ms. */
  iat: number;
  exp: number;
}

/** `base64url(json).base64url(hmac-sha256)`: stateless, tamper-evident session cookies. */
export class SessionCodec {
  constructor(private readonly key: string) {}

  encode(payload: SessionPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The payload, or null when the value was not signed by us or is malformed. */
  decode(value: string | undefined): SessionPayload | null {
    if (!value || value.length > 1024) return null;
    const [body, mac, extra] = value.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const p = JSON.parse(Buffer.from(body, 'base64url').toString()) as Partial<SessionPayload>;
      const ok =
        Number.isInteger(p.uid) &&
        Number.isInteger(p.epoch) &&
        typeof p.sid === 'string' &&
        Number.isFinite(p.iat) &&
        Number.isFinite(p.exp);
      return ok ? (p as SessionPayload) : null;
    } catch {
      return null;
    }
  }

  /** A keyed digest of `value` under a purpose label, e.g. a CSRF token for a cookie value. */
  derive(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${value}`).digest('base64url');
  }

  static randomId(): string {
    return randomBytes(18).toString('base64url');
  }

  private mac(body: string): string {
    return this.derive('session', body);
  }
}

/** Compares two strings in time that depends only on their length. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
