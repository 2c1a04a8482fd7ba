import argon2 from 'argon2';

/** OWASP's argon2id baseline (19 MiB, t=2, p=1): ~30 ms here, cheap for one author, dear for a guesser. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/** Constant-time comparison inside argon2; a malformed hash counts as a mismatch. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * A hash to verify against when the username is wrong, so that a wrong username costs the same
 * time as a wrong password and does not reveal which one it was.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('not-the-password-of-anyone');
  return dummy;
}

/** A readable random password for first local runs: 4 groups of 5 from an unambiguous alphabet. */
export function generatePassword(random: (n: number) => Buffer): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = random(20);
  const chars = Array.from(bytes, (b) => alphabet[b % alphabet.length]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}
