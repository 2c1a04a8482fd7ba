/**
 * `npm run import -- PATH [--dry-run]`: PATH is an Inkstone export, a Ghost export (JSON) or a
 * folder of Markdown files. One transaction: a file with a problem changes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

import cliProgress from 'cli-progress';

import {
  describeReport,
  ImportError,
  ImportService,
  isMarkdownFile,
  MAX_IMPORT_BYTES,
  readImport,
  type SourceFile,
} from '@app/content';

import { databasePathFromEnv, fail } from './cli-common.js';
import { withContent } from './cli-context.js';

const USAGE = 'Usage: npm run import -- FILE_OR_FOLDER [--dry-run]';
const MAX_MB = MAX_IMPORT_BYTES / 1024 / 1024;

let parsed;
try {
  parsed = parseArgs({ options: { 'dry-run': { type: 'boolean' } }, allowPositionals: true });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
if (parsed.positionals.length !== 1) fail(USAGE, 2);
const path = resolve(parsed.positionals[0]);
const dryRun = parsed.values['dry-run'] ?? false;

/** Sizes are checked before any file is read: a 2 GB file is refused without reading it. */
async function readSource(path: string): Promise<SourceFile[]> {
  const info = await stat(path).catch(() => fail(`${path}: no such file or folder.`));
  if (info.isFile()) {
    if (info.size > MAX_IMPORT_BYTES)
      fail(`${path}: ${Math.ceil(info.size / 1024 / 1024)} MB is more than an import may be (${MAX_MB} MB).`);
    return [{ path: basename(path), text: await readFile(path, 'utf8') }];
  }
  const names = (await readdir(path, { recursive: true })).filter(isMarkdownFile).sort();
  let total = 0;
  for (const name of names) total += (await stat(join(path, name))).size;
  if (total > MAX_IMPORT_BYTES) fail(`${path}: its Markdown files hold more than an import may (${MAX_MB} MB).`);
  return Promise.all(
    names.map(async (name) => ({
      path: relative(path, join(path, name)).split(sep).join('/'),
      text: await readFile(join(path, name), 'utf8'),
    })),
  );
}

const files = await readSource(path);
const bar = new cliProgress.SingleBar(
  { format: 'Importing [{bar}] {value}/{total}', hideCursor: true },
  cliProgress.Presets.shades_classic,
);
try {
  const bundle = await readImport(basename(path), files);
  // A dry run against a blog that does not exist yet runs on a throwaway empty one, leaving no file behind.
  const databasePath = databasePathFromEnv();
  const scratch = dryRun && !existsSync(databasePath) ? await mkdtemp(join(tmpdir(), 'inkstone-dry-run-')) : null;
  const report = await withContent(scratch ? join(scratch, 'blog.db') : databasePath, async (app) => {
    let started = false;
    try {
      return await app.get(ImportService).run(bundle, {
        dryRun,
        onProgress: (done, total) => {
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        },
      });
    } finally {
      if (started) bar.stop();
    }
  }).finally(() => scratch && rm(scratch, { recursive: true, force: true }));
  const { heading, lines } = describeReport(report);
  process.stdout.write([heading, ...lines.map((l) => `  ${l}`), ...report.warnings.map((w) => `warning: ${w}`), ''].join('\n'));
} catch (err) {
  if (err instanceof ImportError) fail(`Import refused: ${err.message}\nNothing was changed.`);
  fail(`Import failed: ${(err as Error).message}\nNothing was changed.`);
}
