import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.tmp/**', 'node_modules/**', 'coverage/**', 'data/**', 'apps/blog/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Why: a lib's public API is its index.ts; apps and other libs may not reach inside.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/libs/*/src/*', '@app/*/*'], message: 'Import from @app/<lib> only.' }] },
      ],
    },
  },
);
