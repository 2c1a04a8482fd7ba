/**
 * What the two bundles of the build share (bundle.ts: the ES module bundle start.sh runs;
 * snapshot.ts: the CommonJS bundle evaluated into a V8 startup snapshot).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Plugin } from 'esbuild';

import { ROOT_DIR } from '../paths.js';

export const SERVER_DIR = join(ROOT_DIR, 'dist', 'server');

export const EXTERNAL = [
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
export const followCreateRequire: Plugin = {
  name: 'follow-create-require',
  setup(b) {
    b.onLoad({ filter: /node_modules\/@nestjs\/.*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const local = /^const require = createRequire\(import\.meta\.url\);$/m;
      return local.test(source) ? { contents: source.replace(local, ''), loader: 'js' } : undefined;
    });
  },
};
