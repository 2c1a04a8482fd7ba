/** Which names hold secrets, for the service's env and the Dockerfile's ENV/ARG alike. */

export const SECRETISH = /PASSWORD|SECRET|TOKEN|KEY/;

/** ADMIN_PASSWORD is a secret; ADMIN_PASSWORD_FILE (a path) and ADMIN_PASSWORD_SECRET (a version name) are pointers. */
export function holdsSecret(name: string): boolean {
  if (name.endsWith('_FILE')) return false;
  if (name.endsWith('_SECRET') && SECRETISH.test(name.slice(0, -'_SECRET'.length))) return false;
  return SECRETISH.test(name);
}
