import { HttpException, HttpStatus } from '@nestjs/common';

/** Raised by the admin guard; the app's error filter turns it into a redirect to the login form. */
export class LoginRequiredException extends HttpException {
  constructor(readonly next: string) {
    super('Login required', HttpStatus.UNAUTHORIZED);
  }
}

/**
 * Where to go after login: only a path inside the admin on this site. Anything else (absolute
 * URLs, //host, backslashes, control characters that could split a header) gives /admin.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/admin';
  if (!/^\/admin(?:[/?#]|$)/.test(next)) return '/admin';
  if (/[\\\p{Cc}]/u.test(next) || next.includes('//')) return '/admin';
  return next;
}
