/// <reference lib="dom" />
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectAccessible } from './axe';

/**
 * One fixture file for every end-to-end test (DESIGN.md rule 10): each test gets its own data dir
 * and a fresh `talkbatch serve --demo` (server mode + local fakes of every provider), and the page
 * opens at the URL the server printed (with its token). Waits are on UI state, never on sleeps.
 */
export const SCREENSHOTS = path.resolve('test-results', 'screenshots');

type Server = { url: string; dataDir: string; proc: ChildProcess; output: () => string };

export const test = base.extend<{ server: Server; app: Page; demoTimescale: string }>({
  /** The demo fakes' clock (TALKBATCH_DEMO_TIMESCALE): a test that needs jobs seen rendering slows it. */
  demoTimescale: [process.env.TALKBATCH_DEMO_TIMESCALE ?? '0.01', { option: true }],
  server: async ({ demoTimescale }, use) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-e2e-'));
    const proc = spawn(process.execPath, ['bin/talkbatch.cjs', 'serve', '--demo', '--data-dir', dataDir], {
      env: { ...process.env, TALKBATCH_DEMO_TIMESCALE: demoTimescale, TALKBATCH_DEMO_FAIL: 'oshara' },
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

/** A screenshot of what the page shows, checked by axe-core at the same moment (every screen a test reaches). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  await expectAccessible(page, name);
}

export const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;

/**
 * The same state at 1440×900 and 1024×700, light and dark: a screenshot and an axe check of each, and at
 * every size nothing cut off sideways. Restores the first size and the light theme.
 */
export async function shotAll(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await shot(page, `${name}-${size.width}x${size.height}-${colorScheme}`);
    }
    await expectNothingCutOff(page, `${name} at ${size.width}x${size.height}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(SIZES[0]);
}

/**
 * Nothing cut off sideways: no scroll area scrolls horizontally (except where wide content is meant to:
 * a data table), and every visible control lies inside the window.
 */
export async function expectNothingCutOff(page: Page, label: string): Promise<void> {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${Array.from(el.classList).join('.')} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.main, .queue-list, .modal, .drawer, .page-head, .filters, .queue-bar'))) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }
    const W = window.innerWidth;
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, input, select, a[href], [role="row"]'))) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden' || el.closest('.sr-only, .table-wrap')) continue;
      if (r.right > W + 1 || r.left < -1) out.push(`${name(el)} is outside the window (${Math.round(r.left)}..${Math.round(r.right)} of ${W})`);
    }
    return out.slice(0, 12);
  });
  expect(problems, `cut off in ${label}`).toEqual([]);
}

export { expect };
export { expectAccessible } from './axe';
