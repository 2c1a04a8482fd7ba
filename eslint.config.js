import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Why: a lib's public API is its index.ts; apps and other libs may not reach inside.
const LIB_INSIDES = { group: ['**/libs/*/src/*', '@app/*/*'], message: 'Import from @app/<lib> only.' };

/**
 * The app's folders in layers: each may import the layers below it, never one above, never a
 * sibling feature (README "Where things are" draws the map).
 *   entry points:   cli/ (app commands), build-tools/ (run by the build)
 *   features:       admin/, site/, errors/, health/
 *   services:       bootstrap/, durability/, media/ (the media store), webmention/
 *   infrastructure: cloud-storage/, common/, config/, database/, logging/, migrations/, views/, paths.ts
 * The root files (main.ts, app.module.ts, app.setup.ts) put it all together and import anything.
 */
const APP = 'apps/blog/src';
const ENTRY = ['cli', 'build-tools'];
const FEATURES = ['admin', 'site', 'errors', 'health'];
const SERVICES = ['bootstrap', 'durability', 'media', 'webmention'];
const INFRASTRUCTURE = ['cloud-storage', 'common', 'config', 'database', 'logging', 'migrations', 'views'];

/** A relative import that climbs out of its folder into one of `folders`. */
const into = (folders, why) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message: why });

/** `no-restricted-imports` for the files of `folder`: the libs' rule plus the arrows it may not draw. */
function arrows(folder, forbidden, why) {
  return {
    files: [`${APP}/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [LIB_INSIDES, into(forbidden, why)] }] },
  };
}

const others = (list, self) => list.filter((f) => f !== self);

export default tseslint.config(
  { ignores: ['dist/**', '.tmp/**', 'node_modules/**', 'coverage/**', 'data/**', 'apps/blog/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [LIB_INSIDES] }],
    },
  },
  // The libs are below the app: they never import it. (Their specs may use the app's test harness,
  // apps/blog/test/support/content-on-sqlite.ts: the real migrations on an in-memory SQLite.)
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [LIB_INSIDES, { group: ['**/apps/**'], message: 'A lib never imports the app.' }] },
      ],
    },
  },
  ...ENTRY.map((f) => arrows(f, [...others(ENTRY, f), ...FEATURES], 'An entry point imports services and infrastructure only.')),
  ...FEATURES.map((f) =>
    arrows(f, [...ENTRY, ...others(FEATURES, f), 'bootstrap'], 'A feature never imports another feature or an entry point.'),
  ),
  ...SERVICES.map((f) =>
    arrows(f, [...ENTRY, ...FEATURES, ...others(SERVICES, f)], 'A service never imports a feature or another service.'),
  ),
  ...INFRASTRUCTURE.map((f) =>
    arrows(f, [...ENTRY, ...FEATURES, ...SERVICES], 'Infrastructure never imports the folders above it.'),
  ),
);
