import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root, found once by walking up from this file: the same answer from src/
 * (ts-jest) and from dist/ (compiled), which sit at different depths.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'apps', 'blog', 'views'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the project root (apps/blog/views) above the running code.');
    dir = parent;
  }
  return dir;
}

export const ROOT_DIR = findRoot();
export const VIEWS_DIR = join(ROOT_DIR, 'apps', 'blog', 'views');
export const PUBLIC_DIR = join(ROOT_DIR, 'apps', 'blog', 'public');
export const MIGRATIONS_SRC_DIR = join(ROOT_DIR, 'apps', 'blog', 'src', 'migrations');
/** Fonts and emoji for social cards, copied there by `npm run build` (build-tools/card-assets.ts). */
export const CARD_ASSETS_DIR = join(ROOT_DIR, 'dist', 'card-assets');
