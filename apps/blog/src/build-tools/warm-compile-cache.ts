/**
 * Run once while the image is built, with NODE_COMPILE_CACHE set (Node ≥ 22.1): imports every
 * chunk of dist/server so V8's compiled code is on disk and a cold start skips compiling the
 * bundle. Importing a chunk only evaluates module bodies; nothing listens or opens a database.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT_DIR } from '../paths.js';

if (!process.env.NODE_COMPILE_CACHE) {
  console.error('Set NODE_COMPILE_CACHE to the directory the image runs with.');
  process.exit(1);
}
const chunks = join(ROOT_DIR, 'dist', 'server', 'chunks');
const files = readdirSync(chunks).filter((f) => f.endsWith('.mjs'));
for (const file of files) await import(pathToFileURL(join(chunks, file)).href);
console.log(`Compile cache warmed for ${files.length} chunks in ${process.env.NODE_COMPILE_CACHE}`);
