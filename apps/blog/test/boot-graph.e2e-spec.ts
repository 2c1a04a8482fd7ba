import { bootGraph } from './support/bundle-graph.js';
import { assertBuilt } from './support/process.js';

/**
 * Code a cold start does not need before its first reader, loaded on first use (DESIGN.md,
 * Performance design): evaluating it at boot is what most of a cold start was (BENCHMARKS.md).
 * A static import of any of these from the boot's modules brings it back into the boot.
 */
const ON_FIRST_USE = [
  // Webmention: received or sent (html-links.ts, classify.ts).
  'parse5',
  'microformats-parser',
  // The author's save: the Markdown renderer and sanitizer.
  'markdown-it',
  'katex',
  'highlight.js',
  'sanitize-html',
  // Uploads and imports.
  'file-type',
  'fast-xml-parser',
  'yauzl',
  'turndown',
  'yaml',
  'smol-toml',
  '@wordpress/block-serialization-default-parser',
  // The migrator, only when a migration is pending; Google's clients, only when configured.
  'umzug',
  'google-auth-library',
];

describe("the bundle's boot (dist/server/meta.json)", () => {
  beforeAll(assertBuilt);

  it('evaluates none of the packages loaded on first use', () => {
    const { packages } = bootGraph();
    expect(ON_FIRST_USE.filter((name) => packages.has(name))).toEqual([]);
  });

  it('still finds the framework in the boot (the graph is read right)', () => {
    const { packages, bytes } = bootGraph();
    expect(['@nestjs/core', '@mikro-orm/core', 'knex', 'express', 'handlebars'].filter((p) => !packages.has(p))).toEqual([]);
    expect(bytes).toBeGreaterThan(1_000_000);
  });
});
