/** The repository as a Docker build sees it: .dockerignore, and the defaults start.sh falls back to. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

import { ROOT } from './repo.js';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if ('\\^$+.()|{}[]'.includes(c)) re += `\\${c}`;
    else re += c;
  }
  return new RegExp(`^${re}$`);
}

/**
 * The .dockerignore matcher: a path is excluded when the last pattern matching it, or one of its
 * parent directories, is not a `!` exception (Docker's rule). Supports `*`, `?` and `**`.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix
        .normalize((negate ? l.slice(1) : l).trim())
        .replace(/^\/+/, '')
        .replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (path: string) => {
    const parts = posix.normalize(path).replace(/^\.\//, '').split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.re.test(parts.slice(0, i).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

export interface RepoView {
  exists(rel: string): boolean;
  isDir(rel: string): boolean;
  executable(rel: string): boolean;
  files(rel: string): string[];
  ignored(rel: string): boolean;
  /** Defaults start.sh falls back to (APP_DIR, DATABASE_PATH, LITESTREAM_CONFIG, LITESTREAM_BIN…). */
  startDefaults: Record<string, string>;
}

export function shellDefaults(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of script.matchAll(/^([A-Z_][A-Z0-9_]*)=\$\{\1:-([^}]*)\}/gm)) out[m[1]] = m[2];
  return out;
}

export function repoView(dockerignore: string, root = ROOT): RepoView {
  const ignored = dockerignoreMatcher(dockerignore);
  const abs = (rel: string) => join(root, rel);
  const files = (rel: string): string[] =>
    statSync(abs(rel)).isDirectory() ? readdirSync(abs(rel)).flatMap((n) => files(posix.join(rel, n))) : [rel];
  return {
    exists: (rel) => existsSync(abs(rel)),
    isDir: (rel) => existsSync(abs(rel)) && statSync(abs(rel)).isDirectory(),
    executable: (rel) => existsSync(abs(rel)) && (statSync(abs(rel)).mode & 0o111) !== 0,
    files,
    ignored,
    startDefaults: shellDefaults(readFileSync(join(root, 'scripts', 'start.sh'), 'utf8')),
  };
}
