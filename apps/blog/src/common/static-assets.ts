import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

import type { NextFunction, Request, Response } from 'express';

import { PUBLIC_DIR } from '../paths.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
const FINGERPRINTED = /^(\/.+)\.([0-9a-f]{10})(\.[a-z0-9]+)$/;

/**
 * Fingerprinted URLs for the theme's files: `/static/css/site.css` is linked as
 * `/static/css/site.<hash>.css`, which browsers and CDNs may keep for a year, because a changed
 * file gets a new name. The plain name keeps working (with a short cache) for old links.
 */
export class StaticAssets {
  private readonly hashes = new Map<string, string | null>();

  constructor(private readonly root: string) {}

  /** `css/site.css` → `/static/css/site.0123456789.css` (the plain URL if the file is missing). */
  url(path: string): string {
    const clean = `/${path.replace(/^\/+/, '')}`;
    const hash = this.hashOf(clean);
    if (!hash) return `/static${clean}`;
    const dot = clean.lastIndexOf('.');
    return `/static${clean.slice(0, dot)}.${hash}${clean.slice(dot)}`;
  }

  /** Mounted at /static before the static files: maps a current fingerprint to the file. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const match = FINGERPRINTED.exec(req.path);
    if (match) {
      const [, base, hash, ext] = match;
      if (this.hashOf(base + ext) === hash) {
        req.url = base + ext;
        res.setHeader('Cache-Control', IMMUTABLE);
      }
    }
    next();
  };

  private hashOf(path: string): string | null {
    let hash = this.hashes.get(path);
    if (hash === undefined) {
      const file = normalize(join(this.root, path));
      try {
        hash = file.startsWith(this.root) ? createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 10) : null;
      } catch {
        hash = null;
      }
      this.hashes.set(path, hash);
    }
    return hash;
  }
}

export const staticAssets = new StaticAssets(PUBLIC_DIR);
