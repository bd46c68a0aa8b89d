import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * One fixture file for every end-to-end test (DESIGN.md rule 10): each test gets its own data dir
 * and a fresh `talkbatch serve --demo` (server mode + local fakes of every provider), and the page
 * opens at the URL the server printed (with its token). Waits are on UI state, never on sleeps.
 */
export const SCREENSHOTS = path.resolve('test-results', 'screenshots');

type Server = { url: string; dataDir: string; proc: ChildProcess; output: () => string };

export const test = base.extend<{ server: Server; app: Page }>({
  server: async ({}, use) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-e2e-'));
    const proc = spawn(process.execPath, ['bin/talkbatch.cjs', 'serve', '--demo', '--data-dir', dataDir], {
      env: { ...process.env, TALKBATCH_DEMO_TIMESCALE: process.env.TALKBATCH_DEMO_TIMESCALE ?? '0.01', TALKBATCH_DEMO_FAIL: 'oshara' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
      const check = () => {
        const m = /Open: (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', check);
      proc.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out}`)));
    });
    await use({ url, dataDir, proc, output: () => out });
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  },
  app: async ({ page, server }, use) => {
    await page.goto(server.url);
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expect(page.getByText('Opening Talkbatch…')).toHaveCount(0);
    await use(page);
  },
});

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

export { expect };
