/**
 * A V8 startup snapshot of the app's code (issue 16): `node dist/apps/blog/src/build-tools/snapshot.js`
 * after bundle.ts. Bundles the compiled app as one CommonJS file (dist/server/snapshot/entry.cjs)
 * and runs it under `node --build-snapshot`, which evaluates every module of the boot (Nest,
 * MikroORM, knex, Express, Handlebars, the app's modules and precompiled templates) and writes the
 * heap into dist/server/snapshot/inkstone.blob. `node --snapshot-blob …blob` then starts from that
 * heap and calls `start()`: no module is read, compiled or evaluated at boot.
 *
 * The blob only runs on the node binary that built it (same version, same build), so it is built
 * where it runs (the image's build stage); on Node 20 also only with the same V8 flags
 * (`--max-old-space-size`, `--max-semi-space-size` change its check tag; Node 24 ignores them).
 *
 * EXPERIMENT, not part of the build (issue 16, BENCHMARKS.md "A V8 startup snapshot"): it works on
 * Node 20 and 24, but deserializing the 21-24 MB heap costs about what evaluating the modules did
 * (Node 24: 0.45 s CPU and +43 MB RSS before start() runs, against 0.09 s for a bare node), so the
 * cold start was 1.2-1.3x slower than the bundle's. Kept in history only; reverted after this commit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { build } from 'esbuild';

import { ROOT_DIR } from '../paths.js';
import { EXTERNAL, followCreateRequire, SERVER_DIR } from './bundle-options.js';

export const SNAPSHOT_DIR = join(SERVER_DIR, 'snapshot');
export const SNAPSHOT_BLOB = join(SNAPSHOT_DIR, 'inkstone.blob');
const ENTRY = join(SNAPSHOT_DIR, 'entry.cjs');
/** Packages that use `http` while they load (Express: `Object.create(http.IncomingMessage.prototype)`). */
const RUN_TIME = ['express', 'compression', 'request-filtering-agent'];

/**
 * Built-in modules a snapshot cannot hold, loaded at run time (tls: its native objects are global
 * handles V8 cannot serialize, as are Intl objects and crypto Hash/Hmac objects kept alive); `http`'s parser binding keeps a
 * handle V8 cannot serialize (Node 24: "global handle not serialized … HTTPParser", then the fatal
 * CheckGlobalAndEternalHandles; Node 20 fails earlier, without Array.prototype.toSorted while it
 * builds). Node warns about every built-in outside its verified list (lib/internal/main/mksnapshot.js);
 * the others the boot loads (tty, module, async_hooks…) were tried and work.
 */
const RUN_TIME_BUILTINS = [
  'tls',
  '_tls_common',
  '_tls_wrap',
  'http',
  'https',
  'http2',
  '_http_agent',
  '_http_client',
  '_http_common',
  '_http_incoming',
  '_http_outgoing',
  '_http_server',
];

/**
 * A snapshot's entry may only require built-in modules. Everything else it requires (native
 * addons, optional peers, lazily loaded clients, built-ins a snapshot cannot hold) goes through
 * this shim: at run time from Node or node_modules, as usual; while the snapshot is built, a
 * module that exists becomes a stand-in with the real module's property names (\`shapes\`, read
 * by a child process) that loads it on first use at run time, and one that is not installed throws
 * as require() would (optional peers: Nest and MikroORM must see them missing).
 */
const REQUIRE_SHIM = (
  shapes: Record<string, Shape>,
) => `// Node 20 builds snapshots without Error.stackTraceLimit, so errors have no stack, and MikroORM
// reads its decorators' callers from one. Node restores its own value after deserializing.
if (typeof Error.stackTraceLimit !== 'number') Error.stackTraceLimit = 10;
// V8 cannot put an ICU object in a snapshot (Nest's loggers make a date formatter as they load):
// one made while the snapshot is built is made for real on first use, with the run time's locale.
if (require('v8').startupSnapshot.isBuildingSnapshot()) {
  const originals = ['DateTimeFormat', 'NumberFormat', 'Collator', 'PluralRules', 'RelativeTimeFormat', 'ListFormat'].map((name) => [name, Intl[name]]);
  const onFirstUse = (Real, args) => {
    let real;
    return new Proxy(Object.create(Real.prototype), {
      get: (_, key) => {
        real ??= new Real(...args);
        const value = Reflect.get(real, key);
        return typeof value === 'function' ? value.bind(real) : value;
      },
    });
  };
  for (const [name, Real] of originals)
    Intl[name] = new Proxy(Real, { construct: (_, args) => onFirstUse(Real, args), apply: (_, __, args) => onFirstUse(Real, args) });
  require('v8').startupSnapshot.addSerializeCallback(() => {
    for (const [name, Real] of originals) Intl[name] = Real;
  });
}
var require = ((builtin, file, deferredBuiltins, shapes) => {
  const { isBuildingSnapshot } = builtin('v8').startupSnapshot;
  let fromDisk;
  const disk = () => (fromDisk ??= builtin('module').createRequire(file));
  const isBuiltin = (id) => id.startsWith('node:') || builtin('module').isBuiltin(id);
  const deferred = (id, shape) => {
    let loaded;
    const load = () => {
      if (isBuildingSnapshot()) throw new Error('snapshot: ' + id + ' used while the snapshot is built');
      return (loaded ??= isBuiltin(id) ? builtin(id) : disk()(id));
    };
    const target = shape.kind === 'function' ? function () {} : {};
    return new Proxy(target, {
      get: (_, key) => (key === '__esModule' && isBuildingSnapshot() ? undefined : Reflect.get(load(), key)),
      has: (_, key) => (isBuildingSnapshot() ? shape.keys.includes(key) : Reflect.has(load(), key)),
      ownKeys: () => [...new Set([...shape.keys, ...Reflect.ownKeys(target).filter((k) => !Reflect.getOwnPropertyDescriptor(target, k).configurable)])],
      getOwnPropertyDescriptor: (t, key) => {
        const own = Reflect.getOwnPropertyDescriptor(t, key);
        if (own && !own.configurable) return own;
        if (isBuildingSnapshot()) return shape.keys.includes(key) ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined;
        const real = Reflect.getOwnPropertyDescriptor(load(), key);
        return real && { ...real, configurable: true };
      },
      apply: (_, self, args) => Reflect.apply(load(), self, args),
      construct: (_, args) => Reflect.construct(load(), args),
    });
  };
  const req = (id) => {
    const bare = id.replace(/^node:/, '');
    if ((!deferredBuiltins.includes(bare) || !isBuildingSnapshot()) && isBuiltin(id)) return builtin(id);
    if (!isBuildingSnapshot()) return disk()(id);
    if (shapes[bare]) return deferred(id, shapes[bare]);
    const err = new Error("Cannot find module '" + id + "' (while building the snapshot)");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  };
  req.resolve = (id) => disk().resolve(id);
  return req;
})(require, __filename, ${JSON.stringify(RUN_TIME_BUILTINS)}, ${JSON.stringify(shapes)});
var __inkstoneMetaUrl = require('url').pathToFileURL(__filename).href;`;

interface Shape {
  kind: 'function' | 'object';
  keys: string[];
}

/** Modules deferred to run time: Node's other built-ins, and what the bundle leaves outside. */
function shapesOf(node: string, ids: string[]): Record<string, Shape> {
  const script = `const out = {};
for (const id of ${JSON.stringify(ids)}) {
  try {
    const m = require(id);
    out[id] = { kind: typeof m === 'function' ? 'function' : 'object', keys: Object.getOwnPropertyNames(m) };
  } catch {}
}
process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(execFileSync(node, ['-e', script], { cwd: ROOT_DIR, encoding: 'utf8' })) as Record<string, Shape>;
}

const { values: args } = parseArgs({ options: { node: { type: 'string', default: process.execPath } } });
const shapes = shapesOf(args.node, [...RUN_TIME_BUILTINS, ...EXTERNAL.filter((id) => !id.includes('*')), ...RUN_TIME]);

rmSync(SNAPSHOT_DIR, { recursive: true, force: true });
mkdirSync(SNAPSHOT_DIR, { recursive: true });
const src = (f: string) => JSON.stringify(join(ROOT_DIR, 'dist/apps/blog/src', f));
await build({
  stdin: {
    // Every module of the boot is imported here so that it is evaluated into the heap; start.ts
    // imports app.setup lazily (for main.mjs: a bad config fails before Nest loads).
    contents: [
      "import v8 from 'node:v8';",
      `import { providePrecompiledViews } from ${src('views/precompiled.js')};`,
      `import * as views from ${JSON.stringify(join(SERVER_DIR, 'templates.mjs'))};`,
      `import ${src('app.setup.js')};`,
      `import { start } from ${src('start.js')};`,
      'providePrecompiledViews(views);',
      'v8.startupSnapshot.setDeserializeMainFunction(() => void start());',
    ].join('\n'),
    resolveDir: ROOT_DIR,
    loader: 'js',
  },
  outfile: ENTRY,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: [...EXTERNAL, ...RUN_TIME],
  // The source is part of the heap the snapshot holds (V8 compiles functions from it on first
  // call): minified and ASCII (one byte per character), it is a third of the size.
  minify: true,
  charset: 'ascii',
  // Nest and MikroORM use class names (providers, entities, error messages).
  keepNames: true,
  // import() of an external must go through the shim too: dynamic import is not available in a
  // snapshot's main function.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__inkstoneMetaUrl' },
  banner: { js: REQUIRE_SHIM(shapes) },
  tsconfigRaw: {},
  plugins: [followCreateRequire],
  logLevel: 'warning',
});
const t0 = Date.now();
execFileSync(args.node, ['--snapshot-blob', SNAPSHOT_BLOB, '--build-snapshot', ENTRY], {
  cwd: ROOT_DIR,
  stdio: 'inherit',
});
console.log(`V8 startup snapshot of the app in ${SNAPSHOT_BLOB} (${Date.now() - t0} ms)`);
