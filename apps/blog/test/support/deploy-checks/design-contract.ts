/** DESIGN.md's configuration table: the env names the deploy files may set (a public contract). */

/**
 * Environment names from DESIGN.md's configuration table. `SESSION_SECRET / _FILE / _SECRET`
 * is shorthand for SESSION_SECRET, SESSION_SECRET_FILE, SESSION_SECRET_SECRET. NODE_ENV is named
 * in the same section's prose (production mode).
 */
export function configContract(design: string): Set<string> {
  const start = design.indexOf('## Configuration');
  if (start < 0) throw new Error('DESIGN.md has no "## Configuration" section');
  const end = design.indexOf('\n## ', start + 1);
  const section = design.slice(start, end < 0 ? undefined : end);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const cell = /^\|([^|]+)\|/.exec(line)?.[1].trim();
    if (!cell || cell === 'name' || /^-+$/.test(cell)) continue;
    const parts = cell.split('/').map((s) => s.trim());
    for (const part of parts) names.add(part.startsWith('_') ? parts[0] + part : part);
  }
  if (/\bNODE_ENV\b/.test(section)) names.add('NODE_ENV');
  return names;
}
