/**
 * `npm run export -- --out FILE`: the whole blog as one JSON document (see DESIGN.md), written
 * record by record to a temporary file that replaces FILE only once complete.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

import { ExportService } from '@app/content';

import { databasePathFromEnv, fail } from './cli-common.js';
import { withContent } from './cli-context.js';

let args;
try {
  args = parseArgs({ options: { out: { type: 'string' } } }).values;
} catch (err) {
  fail(`${(err as Error).message}\nUsage: npm run export -- --out FILE`, 2);
}
if (!args.out) fail('Usage: npm run export -- --out FILE', 2);

const databasePath = databasePathFromEnv();
if (!existsSync(databasePath)) fail(`There is no database at ${databasePath} (set DATABASE_PATH).`);
const out = resolve(args.out);
const partial = `${out}.partial`;
try {
  await withContent(databasePath, async (app) =>
    pipeline(Readable.from(await app.get(ExportService).open()), createWriteStream(partial)),
  );
  await rename(partial, out);
  process.stdout.write(`Exported ${databasePath} to ${out}\n`);
} catch (err) {
  await rm(partial, { force: true });
  fail(`Export failed: ${(err as Error).message}`);
}
