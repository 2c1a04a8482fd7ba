/**
 * The oldest SQLite the app may run on: 3.51.3 fixes the WAL-reset bug (a checkpoint racing a
 * write in another connection could corrupt the database), and Litestream checkpoints beside the
 * app. better-sqlite3 bundles its own SQLite, so this is a check on its version.
 */
export const MIN_SQLITE = '3.51.3';

/** Compares dotted versions numerically: '3.53.2' >= '3.51.3', '3.9.0' < '3.51.3'. */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}
