import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './process.js';

interface Metafile {
  outputs: Record<
    string,
    { bytes: number; imports: { path: string; kind: string }[]; inputs: Record<string, { bytesInOutput: number }> }
  >;
}

/**
 * What a cold start evaluates before its first reader, from the build's esbuild metafile
 * (dist/server/meta.json): main.mjs, what it imports (app.setup's chunk: main.ts imports it after
 * the config check), and their static imports. Chunks reached only through another `import()`
 * load on first use. Bytes by package name (node_modules) or by the app's and libs' folders.
 */
export function bootGraph(): { outputs: string[]; bytes: number; packages: Map<string, number> } {
  const { outputs } = JSON.parse(readFileSync(join(ROOT, 'dist', 'server', 'meta.json'), 'utf8')) as Metafile;
  const main = Object.keys(outputs).find((o) => o.endsWith('dist/server/main.mjs'));
  if (!main) throw new Error('dist/server/meta.json names no dist/server/main.mjs: run `npm run build`');
  const seen = new Set<string>();
  const stack = [main];
  while (stack.length) {
    const output = stack.pop()!;
    if (seen.has(output)) continue;
    seen.add(output);
    for (const i of outputs[output].imports)
      if (outputs[i.path] && (i.kind === 'import-statement' || output === main)) stack.push(i.path);
  }
  const packages = new Map<string, number>();
  for (const output of seen) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[output].inputs)) {
      const name =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.replace(/^dist\/((apps\/blog\/src|libs\/[^/]+)).*$/, '$1');
      packages.set(name, (packages.get(name) ?? 0) + bytesInOutput);
    }
  }
  return { outputs: [...seen], bytes: [...seen].reduce((n, o) => n + outputs[o].bytes, 0), packages };
}
