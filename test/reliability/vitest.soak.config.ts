import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the long variants of the reliability suite (the full size). The short
 * variants run in `npm test` from test/integration/reliability/. One file at a time: the soak measures
 * the app under its own load, not under a neighbour's.
 */
export default defineConfig({
  root: path.resolve(__dirname, '..', '..'),
  test: {
    include: ['test/reliability/**/*.soak.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
  },
});
