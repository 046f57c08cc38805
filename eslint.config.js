// ESLint (flat config) with typescript-eslint's recommended rules, without type information so it
// runs in seconds; tsc (strict, noUnusedLocals) does the type checking in `npm test`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'certs/', 'test-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused names are tsc's (noUnusedLocals); a leading underscore marks one kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      'prefer-const': 'error',
    },
  },
  {
    // Browser scripts served by the dashboard and the sign-in pages, and the bench/test scripts.
    files: ['**/*.mjs', 'bench/**/*.js', 'docs/**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);
