/**
 * `npm run build`'s last step: bundles the compiled app (dist/apps/blog/src/main.js, which tsc
 * has already given its decorator metadata) into dist/server/main.mjs with esbuild.
 *
 * Why: an unbundled Nest + MikroORM app spends most of its cold start resolving and reading
 * ~1,500 module files. One minified bundle (code needed only by the author's saves split into
 * chunks loaded on demand) removes that work. Native addons and modules that are loaded
 * optionally, or never on this path, stay outside.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { build, type Plugin } from 'esbuild';

import { ROOT_DIR, VIEWS_DIR } from '../paths.js';
import { PRECOMPILED_FILE, precompileViews } from '../views/precompiled.js';

export const SERVER_DIR = join(ROOT_DIR, 'dist', 'server');

const EXTERNAL = [
  // Native addons: loaded from node_modules, as installed for the running Node.
  'better-sqlite3',
  'argon2',
  // Native (libvips), loaded on the first upload only; its platform package is resolved at run time.
  'sharp',
  // Social cards, loaded on the first card only: resvg is native, satori carries its WASM.
  'satori',
  '@resvg/resvg-js',
  // Loaded lazily and only when configured (SECRET_*): its protobuf files are read at run time.
  '@google-cloud/secret-manager',
  '@google-cloud/storage',
  // The same copy the Secret Manager client uses (its credentials objects must match).
  '@grpc/grpc-js',
  // Mostly character-set tables, needed only when a request body is decoded: from disk, on demand.
  'iconv-lite',
  // Optional peers that Nest, MikroORM and knex try to require and do without.
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  'class-validator',
  'class-transformer',
  '@fastify/*',
  '@mikro-orm/entity-generator',
  '@mikro-orm/seeder',
  '@mikro-orm/cli',
  'ts-morph',
  'pg',
  'pg-query-stream',
  'mysql',
  'mysql2',
  'oracledb',
  'tedious',
  'sqlite3',
  'mariadb',
  'libsql',
];

/**
 * Nest's ES modules reach some dependencies through `createRequire(import.meta.url)` (e.g. the
 * static-file loader's `require('express')`), which a bundler cannot follow: Node would then load
 * a second Express, and its ~60 files, from disk at boot. Dropping the local `require` lets
 * esbuild see plain require() calls and bundle what they name.
 */
const followCreateRequire: Plugin = {
  name: 'follow-create-require',
  setup(b) {
    b.onLoad({ filter: /node_modules\/@nestjs\/.*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const local = /^const require = createRequire\(import\.meta\.url\);$/m;
      return local.test(source) ? { contents: source.replace(local, ''), loader: 'js' } : undefined;
    });
  },
};

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
