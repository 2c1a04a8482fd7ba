/**
 * `npm run import -- PATH [BESIDE…] [--dry-run]`: PATH is an Inkstone export, a Ghost export
 * (JSON), a WordPress export (WXR .xml) or a folder of Markdown files; BESIDE are the old blog's
 * images given with it: its uploads (`wp-content/uploads`) or `content/images` folder, or a zip
 * of it. A zip alone may hold the export and its images. One transaction: a file with a problem
 * changes nothing.
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
  sourceFile,
  type SourceFile,
} from '@app/content';

import { databasePathFromEnv, fail } from './cli-common.js';
import { withContent } from './cli-context.js';

const USAGE = 'Usage: npm run import -- FILE_OR_FOLDER [IMAGES_FOLDER_OR_ZIP…] [--dry-run]';
const MAX_MB = MAX_IMPORT_BYTES / 1024 / 1024;

let parsed;
try {
  parsed = parseArgs({ options: { 'dry-run': { type: 'boolean' } }, allowPositionals: true });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
if (parsed.positionals.length === 0) fail(USAGE, 2);
const [path, ...beside] = parsed.positionals.map((p) => resolve(p));
const dryRun = parsed.values['dry-run'] ?? false;

/** A site's own images (page bundles, Hugo's static/), not its theme's or its built output's. */
const isSiteImage = (name: string) =>
  /\.(jpe?g|png|gif|webp)$/i.test(name) && !/(^|[/\\])(themes|public|_site|resources|node_modules|\.git)[/\\]/.test(name);

/** Export files that make a folder an export with its images rather than a Markdown site. */
const isExportFile = (name: string) => /\.(xml|json)$/i.test(name) && !name.includes(sep);

/**
 * Sizes are checked before any file is read: a 2 GB file is refused without reading it. A folder
 * given first is a Markdown site (its Markdown files and its images), unless an export file sits at its top; a
 * folder given beside is read whole (the old blog's images). Paths keep the folder's name, so
 * `uploads/2024/05/a.jpg` is found by the path its old URL ends with.
 */
async function readSource(paths: string[]): Promise<SourceFile[]> {
  const plan: { file: string; as: string }[] = [];
  for (const [i, path] of paths.entries()) {
    const info = await stat(path).catch(() => fail(`${path}: no such file or folder.`));
    if (info.isFile()) {
      plan.push({ file: path, as: basename(path) });
      continue;
    }
    const all = (await readdir(path, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const names = all.map((e) => relative(path, join(e.parentPath, e.name))).sort();
    const whole = i > 0 || names.some(isExportFile);
    for (const name of whole ? names : names.filter((n) => isMarkdownFile(n) || isSiteImage(n))) {
      plan.push({ file: join(path, name), as: (i > 0 ? `${basename(path)}/${name}` : name).split(sep).join('/') });
    }
  }
  let total = 0;
  for (const { file } of plan) total += (await stat(file)).size;
  if (total > MAX_IMPORT_BYTES) {
    const what =
      plan.length === 1 ? `${Math.ceil(total / 1024 / 1024)} MB is` : `its files hold ${Math.ceil(total / 1024 / 1024)} MB,`;
    fail(`${paths.join(', ')}: ${what} more than an import may be (${MAX_MB} MB).`);
  }
  return Promise.all(plan.map(async ({ file, as }) => sourceFile(as, await readFile(file))));
}

const files = await readSource([path, ...beside]);
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
