// Lint enforces the folder runtimes (DESIGN.md rule 1):
// shared/ is pure TypeScript; renderer/ is DOM-only and never reaches into electron/;
// only electron/main.ts, electron/preload.ts and the vault import `electron`.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'stream', 'url', 'util', 'events', 'zlib', 'worker_threads'];
const nodeBuiltinPatterns = nodeBuiltins.map((n) => ({ group: [n, `${n}/*`], message: 'shared/ and renderer/ are pure: no Node built-ins.' }));
const electronOnlyFiles = ['electron/main.ts', 'electron/preload.ts', 'electron/core/secrets/safe-storage.ts', 'electron/shell/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'test-results/**', 'playwright-report/**', 'bench/results/**', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'shared/ is pure: no electron.' }],
        patterns: [...nodeBuiltinPatterns, { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ imports nothing from electron/ or renderer/.' }],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'require', '__dirname', 'Buffer'],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer talks only through the contract client.' }],
        patterns: [...nodeBuiltinPatterns, { group: ['**/electron/**', '../../electron/*'], message: 'renderer/ never imports from electron/.' }],
      }],
      'no-restricted-globals': ['error', 'process', 'require', '__dirname', 'Buffer'],
    },
  },
  {
    files: ['electron/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: electronOnlyFiles,
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Only electron/main.ts, electron/preload.ts, electron/shell/ and the vault import electron.' }],
        patterns: [{ group: ['**/renderer/**'], message: 'Node code does not import the renderer.' }],
      }],
    },
  },
);
