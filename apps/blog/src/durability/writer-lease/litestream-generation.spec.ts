import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readLitestreamGeneration } from './litestream-generation.js';

describe("readLitestreamGeneration: Litestream v0.3's generation file", () => {
  let dir: string;
  let database: string;
  let file: string;
  const ONE = '0123456789abcdef';
  const TWO = 'fedcba9876543210';
  /** As Litestream starts a generation: a new file renamed over the old one. */
  const startGeneration = (name: string) => {
    writeFileSync(`${file}.tmp`, `${name}\n`);
    renameSync(`${file}.tmp`, file);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inkstone-generation-'));
    database = join(dir, 'blog.db');
    mkdirSync(join(dir, '.blog.db-litestream'));
    file = join(dir, '.blog.db-litestream', 'generation');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is null before the first generation, and for a file that names none', async () => {
    expect(await readLitestreamGeneration(database)).toBeNull();
    writeFileSync(file, 'not a generation\n');
    expect(await readLitestreamGeneration(database)).toBeNull();
  });

  it('follows Litestream to each new generation', async () => {
    startGeneration(ONE);
    expect(await readLitestreamGeneration(database)).toBe(ONE);
    expect(await readLitestreamGeneration(database)).toBe(ONE);
    startGeneration(TWO);
    expect(await readLitestreamGeneration(database)).toBe(TWO);
    writeFileSync(file, `${ONE}\n`); // rewritten in place: same inode and size, a new mtime
    expect(await readLitestreamGeneration(database)).toBe(ONE);
  });

  it('reads the file again only when its stat changed', async () => {
    const sameTime = new Date('2026-01-01T00:00:00Z');
    writeFileSync(file, `${ONE}\n`);
    utimesSync(file, sameTime, sameTime);
    expect(await readLitestreamGeneration(database)).toBe(ONE);
    // Same inode, size and mtime (which Litestream never does): the last read stands.
    writeFileSync(file, `${TWO}\n`);
    utimesSync(file, sameTime, sameTime);
    expect(await readLitestreamGeneration(database)).toBe(ONE);
  });
});
