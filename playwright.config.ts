import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the real UI in Debian's Chromium against server mode with the provider
 * fakes (test/e2e/fixtures.ts starts one server per test with its own data dir).
 */
export default defineConfig({
  testDir: 'test/e2e',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: {
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.TALKBATCH_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    },
    trace: 'retain-on-failure',
  },
});
