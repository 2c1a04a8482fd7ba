import { createHash } from 'node:crypto';

import type { ImportedMedia } from './bundle.js';
import type { SourceFile } from './source-file.js';

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

const typeOf = (path: string) => TYPES[/\.([a-z0-9]+)$/i.exec(path)?.[1].toLowerCase() ?? ''];

/** A file name the media library accepts (`[\w.-]`), from whatever the old blog called it. */
const cleanName = (path: string) =>
  (path.split('/').pop() ?? 'image')
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[-.]+/, '')
    .slice(-120) || 'image';

/**
 * The images given beside an export (a folder or a zip of the old blog's uploads), found by the
 * path their old URL ends with: `…/uploads/2024/05/a.jpg` is the file whose path ends in
 * `2024/05/a.jpg`, wherever the folder was cut. Each file found becomes one ImportedMedia, with an
 * id of its own that the text links to (`/media/ID/name`) and the importer rewrites to the stored
 * image's real id.
 */
export class ImportAssets {
  private readonly byPath = new Map<string, SourceFile>();
  /** By file name, so a lookup reads the few files of that name, not every file of the uploads. */
  private readonly byName = new Map<string, [string, SourceFile][]>();
  private readonly found = new Map<string, ImportedMedia>();
  readonly media: ImportedMedia[] = [];

  constructor(
    files: SourceFile[],
    private readonly createdAt: Date = new Date(),
  ) {
    for (const f of files) {
      if (!f.bytes) continue;
      const path = f.path.toLowerCase();
      this.byPath.set(path, f);
      const name = path.slice(path.lastIndexOf('/') + 1);
      this.byName.set(name, [...(this.byName.get(name) ?? []), [path, f]]);
    }
  }

  get size(): number {
    return this.byPath.size;
  }

  /** The file whose path ends with `relative` (a path inside the uploads folder), if given. */
  file(relative: string): SourceFile | undefined {
    const want = decodeURIComponentSafe(relative).replace(/^\/+/, '').toLowerCase();
    if (!want) return undefined;
    const exact = this.byPath.get(want);
    if (exact) return exact;
    const name = want.slice(want.lastIndexOf('/') + 1);
    return (this.byName.get(name) ?? []).find(([path]) => path.endsWith(`/${want}`))?.[1];
  }

  /** An image by its path inside the uploads folder, as a media record; undefined if absent or not an image. */
  image(relative: string, maxBytes: number): ImportedMedia | undefined {
    const f = this.file(relative);
    if (!f?.bytes || !typeOf(f.path) || f.bytes.length > maxBytes) return undefined;
    let m = this.found.get(f.path);
    if (!m) {
      m = {
        ref: f.path,
        id: this.media.length + 1,
        filename: cleanName(f.path),
        contentType: typeOf(f.path),
        sha256: createHash('sha256').update(f.bytes).digest('hex'),
        width: null,
        height: null,
        createdAt: this.createdAt,
        data: f.bytes,
      };
      this.found.set(f.path, m);
      this.media.push(m);
    }
    return m;
  }
}

export const isImagePath = (path: string) => Boolean(typeOf(path));

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
