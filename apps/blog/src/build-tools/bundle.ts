/**
 * `npm run build`'s last step: bundles the compiled app (dist/apps/blog/src/main.js, which tsc
 * has already given its decorator metadata) into dist/server/main.mjs with esbuild.
 *
 * Why: an unbundled Nest + MikroORM app spends most of its cold start resolving and reading
 * ~1,500 module files. One minified bundle (code needed only by the author's saves split into
 * chunks loaded on demand) removes that work. Native addons and modules that are loaded
 * optionally, or never on this path, stay outside.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { build } from 'esbuild';

import { ROOT_DIR, VIEWS_DIR } from '../paths.js';
import { PRECOMPILED_FILE, precompileViews } from '../views/precompiled.js';
import { EXTERNAL, followCreateRequire, SERVER_DIR } from './bundle-options.js';

// `--readable` keeps names and whitespace, for reading a --cpu-prof profile of the boot.
const { values: args } = parseArgs({ options: { readable: { type: 'boolean', default: false } } });

rmSync(SERVER_DIR, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: join(ROOT_DIR, 'dist/apps/blog/src/main.js') },
  outdir: SERVER_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  minify: !args.readable,
  // Nest and MikroORM use class names (providers, entities, error messages).
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: {
    js: "import { createRequire as __inkstoneRequire } from 'node:module'; const require = __inkstoneRequire(import.meta.url);",
  },
  // Only the tsc output, with its decorator metadata: never let tsconfig paths lead esbuild to
  // the TypeScript sources (esbuild cannot emit that metadata, and Nest's DI needs it).
  tsconfigRaw: {},
  plugins: [followCreateRequire],
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(join(SERVER_DIR, 'meta.json'), JSON.stringify(result.metafile));
// Templates precompiled by the same build: the bundle's first request does not compile them.
writeFileSync(PRECOMPILED_FILE, precompileViews(VIEWS_DIR));
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`Bundled the app into dist/server/main.mjs (${(bytes / 1e6).toFixed(1)} MB with chunks and maps)`);
