/// <reference lib="dom" />
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, expectNothingCutOff, shotAll, test } from './fixtures';

/**
 * Issue 14 end to end: a busy queue (500 jobs) under batch headers, filters, reordering by keyboard and
 * by drag, the sidebar telling paused from idle, toasts; then real renders through the demo fakes on a
 * slowed clock: time left on running jobs and batches, cost per unit, and the review flow in the library.
 * Every state is screenshotted at 1440×900 and 1024×700, light and dark, and checked by axe-core.
 */
const FIX = path.resolve('test/fixtures');
const TECHFORGE_PROJECT = '468ea7a0-66e1-4357-a760-236e54167f3e';

/** A contract call from the page, with the page's own token (what the renderer does). */
async function api<T>(page: Page, channel: string, input: unknown): Promise<T> {
  return await page.evaluate(
    async ([c, i]) => {
      const token = sessionStorage.getItem('talkbatch-token') ?? '';
      const r = await fetch(`/api/${c}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-talkbatch-token': token }, body: JSON.stringify(i) });
      const j = (await r.json()) as { ok: boolean; value?: unknown; error?: unknown };
      if (!j.ok) throw new Error(JSON.stringify(j.error));
      return j.value as T;
    },
    [channel, input] as const,
  );
}

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }).click();
const localRow = (title: string) => ({ title, provider: 'local', script: 'Hello there.', avatar: 'avatar.png', audio: 'voice.wav', params: { height: 480, aspect_ratio: '1:1', captions: 'off' } });

/** Titles of the shown job rows of one batch (titles start with its prefix), in grid order. */
async function order(page: Page, prefix: string): Promise<string[]> {
  const titles = await page.locator('.job-row .title').allTextContents();
  return titles.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length).trim());
}
const row = (page: Page, title: string) => page.locator('.job-row', { has: page.locator('.title', { hasText: new RegExp(`^${title}$`) }) });

test('a busy queue: 500 jobs under batch headers, filters, paused vs idle, keyboard and drag reordering, toasts', async ({ app }) => {
  test.slow();
  await api(app, 'queue:set-paused', { paused: true });
  const big = await api<{ batchId: string; jobIds: string[] }>(app, 'batches:create', { name: 'Overnight', rows: Array.from({ length: 500 }, (_, i) => localRow(`Night ${i + 1}`)), baseDir: FIX });
  await api(app, 'batches:create', { name: 'Short list', rows: [localRow('Short 1'), localRow('Short 2'), localRow('Short 3')], baseDir: FIX });
  await api(app, 'jobs:action', { ids: big.jobIds.slice(0, 5), action: 'pause' });

  await nav(app, 'Queue');
  const grid = app.getByRole('grid', { name: 'Jobs by batch' });
  await expect(grid).toBeVisible();
  // Batch headers, each with its own done/total (the bar means done/total), newest batch first.
  const overnight = app.locator('.batch-row', { hasText: 'Overnight' });
  await expect(overnight).toContainText('0/500 done');
  await expect(overnight).toContainText('5 paused');
  await expect(app.locator('.batch-row', { hasText: 'Short list' })).toContainText('0/3 done');
  await expect(app.locator('.batch-row').first()).toContainText('Short list');
  // Rows are rows of cells.
  await expect(row(app, 'Short 1').getByRole('gridcell')).toHaveCount(8);
  // The queue is paused: the sidebar says so, never "idle".
  await expect(app.getByTestId('queue-status')).toContainText('Queue paused');
  await expect(app.getByTestId('queue-status')).not.toContainText('idle');
  await shotAll(app, '20-queue-500-jobs');

  // Filters: Paused shows the five paused jobs; Needs you has none.
  await app.getByRole('tab', { name: 'Paused', exact: true }).click();
  await expect(app.locator('.job-row')).toHaveCount(5);
  await expect(app.locator('.job-row[data-status="paused"]')).toHaveCount(5);
  await app.getByRole('tab', { name: 'Needs you', exact: true }).click();
  await expect(app.getByText('No job matches this filter.')).toBeVisible();
  await app.getByRole('tab', { name: 'All', exact: true }).click();

  // Keyboard: arrows move between rows, Alt+arrows move the job, Alt+Home to the top of its batch.
  await row(app, 'Short 3').focus();
  await app.keyboard.press('Alt+ArrowUp');
  await expect.poll(() => order(app, 'Short')).toEqual(['1', '3', '2']);
  await expect(row(app, 'Short 3')).toBeFocused();
  await app.keyboard.press('Alt+Home');
  await expect.poll(() => order(app, 'Short')).toEqual(['3', '1', '2']);
  await row(app, 'Short 3').focus();
  await app.keyboard.press('ArrowDown');
  await expect(row(app, 'Short 1')).toBeFocused();
  await app.keyboard.press('ArrowUp');
  await app.keyboard.press('ArrowUp');
  await expect(app.locator('.batch-row', { hasText: 'Short list' })).toBeFocused();
  // Enter opens the job; Escape closes the panel and gives focus back to the row.
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('Enter');
  const drawer = app.getByRole('dialog', { name: 'Short 3' });
  await expect(drawer).toBeVisible();
  await expect(drawer).toContainText('Local drafts are free'.slice(0, 0));
  await shotAll(app, '21-queue-job-drawer');
  // A toast sits beside the panel, never over it, and goes by itself.
  await drawer.getByRole('button', { name: 'Copy for support' }).click();
  const toast = app.locator('.toast').first();
  await expect(toast).toBeVisible();
  const [t, d] = [await toast.boundingBox(), await drawer.boundingBox()];
  expect(t!.x + t!.width).toBeLessThanOrEqual(d!.x + 1);
  await expect(toast).toHaveCount(0, { timeout: 12_000 });
  await app.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);
  await expect(row(app, 'Short 3')).toBeFocused();

  // Drag and drop: Short 2 dropped onto Short 1 goes before it.
  await row(app, 'Short 2').dragTo(row(app, 'Short 1'));
  await expect.poll(() => order(app, 'Short')).toEqual(['3', '2', '1']);

  // A selection moves together: Short 3 and Short 2 one place down.
  await row(app, 'Short 3').getByRole('checkbox').check();
  await row(app, 'Short 2').getByRole('checkbox').check();
  await app.getByRole('toolbar', { name: 'Selected jobs' }).getByRole('button', { name: 'Move down', exact: true }).click();
  await expect.poll(() => order(app, 'Short')).toEqual(['1', '3', '2']);

  // A warning (nothing to retry) dismisses itself too.
  await app.getByRole('toolbar', { name: 'Selected jobs' }).getByRole('button', { name: 'Retry', exact: true }).click();
  const warn = app.locator('.toast[data-level="warn"]');
  await expect(warn).toContainText('Nothing changed');
  await expect(warn).toHaveCount(0, { timeout: 15_000 });

  // 1024×700: the bulk actions collapse into a menu, and the menu works.
  await app.setViewportSize({ width: 1024, height: 700 });
  await expectNothingCutOff(app, 'queue at 1024x700');
  const menu = app.getByRole('button', { name: 'Actions on selected jobs' });
  await expect(menu).toBeVisible();
  await menu.click();
  await app.getByRole('menuitem', { name: 'Move to top' }).click();
  await expect.poll(() => order(app, 'Short')).toEqual(['3', '2', '1']);
  await app.setViewportSize({ width: 1440, height: 900 });

  // Resumed with nothing to do but paused jobs: "paused", still not "idle".
  await api(app, 'jobs:action', { ids: [...big.jobIds.slice(5)], action: 'cancel' });
  const short = await api<{ jobs: { id: string; input: { title: string } }[] }>(app, 'jobs:list', {});
  await api(app, 'jobs:action', { ids: short.jobs.filter((j) => j.input.title.startsWith('Short')).map((j) => j.id), action: 'cancel' });
  await api(app, 'queue:set-paused', { paused: false });
  await expect(app.getByTestId('queue-status')).toHaveText('5 jobs paused, nothing running');
});

test.describe('renders on a slowed demo clock', () => {
  test.use({ demoTimescale: '0.1' });

  test('time left while rendering, cost per unit, then review: synced compare, keep/reject kept, player next/previous', async ({ app }) => {
    test.slow();
    // A script error (e.g. in a state update) unmounts the whole interface: fail on the first one.
    const errors: string[] = [];
    app.on('pageerror', (e) => errors.push(e.message));
    const rows = [
      localRow('Welcome'),
      { title: 'Welcome', provider: 'techforge', avatar: 'avatar.png', audio: 'voice.wav', params: { project_id: TECHFORGE_PROJECT } },
      { title: 'Welcome', provider: 'aisa', prompt: 'A presenter in a bright studio says welcome.', params: { seconds: '4' } },
      { title: 'Welcome', provider: 'creatify', avatar: 'avatar.png', audio: 'voice.mp3' },
    ];
    await api(app, 'batches:create', { name: 'Takes', rows, baseDir: FIX });
    await nav(app, 'Queue');
    // While rendering: each running job shows its time left (an estimate says "about"), the batch too.
    const running = app.locator('.job-row[data-status="running"]').first();
    await expect(running).toBeVisible({ timeout: 30_000 });
    await expect(running.getByTestId('time-left')).toHaveText(/about \d+ (s|min)|\d+ (s|min)|a few seconds|longer than usual/);
    await expect(running.getByRole('progressbar')).toHaveAttribute('aria-valuetext', /of (about )?\d/);
    await expect(app.getByTestId('batch-time-left').first()).toHaveText(/left$/);
    await shotAll(app, '22-queue-rendering');

    // Done: the batch's cost per unit, each credit labelled with whose it is, never summed across units.
    await expect(app.locator('.job-row[data-status="completed"]')).toHaveCount(4, { timeout: 90_000 });
    const cost = app.getByTestId('batch-cost').first();
    await expect(cost).toContainText(/\d+ Creatify credits?/);
    await expect(cost).toContainText(/\$\d+\.\d\d/);
    // TechForge reports no charge here (no price list): said plainly, never shown as free.
    await expect(cost).toContainText('1 without a price');
    await expect(cost).not.toContainText('free');
    await expect(app.getByTestId('batch-time-left').first()).toHaveText('finished');
    await row(app, 'Welcome').filter({ hasText: 'Creatify' }).click();
    await expect(app.getByTestId('job-cost')).toContainText(/(Estimated|Billed) [\d.]+ Creatify credits?/);
    await shotAll(app, '23-queue-done-cost');
    await app.keyboard.press('Escape');

    // Library: real thumbnails (aisa.one serves a 1×1 placeholder: a frame of the video replaces it),
    // each tile in its video's own shape.
    await nav(app, 'Library');
    await expect(app.locator('.lib-card')).toHaveCount(4);
    const aisaTile = app.locator('.lib-card', { hasText: 'aisa.one' });
    await expect.poll(async () => await aisaTile.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThanOrEqual(100);
    for (const tile of await app.locator('.lib-thumb[data-ratio]').all()) {
      const ratio = Number(await tile.getAttribute('data-ratio'));
      const box = (await tile.boundingBox())!;
      expect(Math.abs(box.width / box.height - ratio)).toBeLessThan(0.05);
    }
    await app.getByLabel('Sort by').selectOption('provider');
    await expect(app.locator('.lib-card').first()).toContainText('aisa.one');
    await shotAll(app, '24-library-videos');

    // Compare three takes: one play/pause and one scrub bar for all, the script beside them.
    const cards = app.locator('.lib-card');
    for (let i = 0; i < 3; i++) await cards.nth(i).getByRole('checkbox', { name: 'Compare' }).check();
    await app.getByRole('button', { name: 'Compare 3 takes' }).click();
    const dlg = app.getByRole('dialog', { name: 'Compare 3 takes' });
    await expect(dlg).toBeVisible();
    await expect(dlg.getByTestId('take')).toHaveCount(3);
    await expect(dlg.getByRole('complementary', { name: 'Script' })).toBeVisible();
    const videos = dlg.locator('video');
    await expect.poll(async () => await videos.evaluateAll((vs: HTMLVideoElement[]) => vs.every((v) => v.readyState >= 1)), { timeout: 15_000 }).toBe(true);
    await dlg.getByRole('button', { name: /Play all/ }).click();
    await expect.poll(async () => await videos.evaluateAll((vs: HTMLVideoElement[]) => vs.map((v) => v.paused))).toEqual([false, false, false]);
    await dlg.getByRole('button', { name: /Pause all/ }).click();
    await expect.poll(async () => await videos.evaluateAll((vs: HTMLVideoElement[]) => vs.map((v) => v.paused))).toEqual([true, true, true]);
    await dlg.getByRole('slider', { name: 'Position of all takes' }).fill('1');
    await expect
      .poll(async () => await videos.evaluateAll((vs: HTMLVideoElement[]) => vs.map((v) => Math.round(Math.min(v.currentTime, 1) * 10) / 10)))
      .toEqual([1, 1, 1]);
    const titles = await dlg.locator('figcaption').allTextContents();
    await dlg.getByTestId('take').nth(0).getByRole('button', { name: '✓ Keep' }).click();
    await dlg.getByTestId('take').nth(1).getByRole('button', { name: '✕ Reject' }).click();
    await expect(dlg.getByTestId('take').nth(0).getByRole('button', { name: '✓ Keep' })).toHaveAttribute('aria-pressed', 'true');
    await shotAll(app, '25-compare-takes');
    // Tab stays inside the dialog; Escape gives focus back to the button that opened it.
    for (let i = 0; i < 25; i++) await app.keyboard.press('Tab');
    expect(await app.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
    await app.keyboard.press('Escape');
    await expect(dlg).toHaveCount(0);
    await expect(app.getByRole('button', { name: 'Compare 3 takes' })).toBeFocused();

    // Kept and rejected are stored: after a reload, each filter finds its take.
    await app.reload();
    await nav(app, 'Library');
    await app.getByLabel('Review').selectOption('approved');
    await expect(app.locator('.lib-card')).toHaveCount(1);
    await expect(app.locator('.lib-card')).toContainText(titles[0]!.split(' — ')[1]!.split(' · ')[0]!);
    await app.getByLabel('Review').selectOption('rejected');
    await expect(app.locator('.lib-card')).toHaveCount(1);
    await app.getByLabel('Review').selectOption('');

    // The player: next / previous by button and by key, Y keeps.
    await expect(app.locator('.lib-card')).toHaveCount(4);
    const first = (await app.locator('.lib-card .lib-body .muted').first().textContent())!;
    await app.locator('.lib-thumb').first().click();
    const player = app.getByRole('dialog', { name: 'Welcome' });
    await expect(player).toContainText('1 of 4');
    await expect(player).toContainText(first.split(' · ')[0]!);
    await app.keyboard.press('ArrowDown');
    await expect(player).toContainText('2 of 4');
    await player.getByRole('button', { name: 'Next ›' }).click();
    await expect(player).toContainText('3 of 4');
    await player.getByRole('button', { name: '‹ Previous' }).click();
    await expect(player).toContainText('2 of 4');
    await app.keyboard.press('ArrowUp');
    await expect(player).toContainText('1 of 4');
    // One key each: R redo (no take is marked redo yet), then Y keep and X reject replace it.
    await app.keyboard.press('r');
    await expect(player.getByRole('button', { name: '↻ Redo' })).toHaveAttribute('aria-pressed', 'true');
    await app.keyboard.press('y');
    await expect(player.getByRole('button', { name: '✓ Keep' })).toHaveAttribute('aria-pressed', 'true');
    await expect(player.getByRole('button', { name: '↻ Redo' })).toHaveAttribute('aria-pressed', 'false');
    await app.keyboard.press('x');
    await expect(player.getByRole('button', { name: '✕ Reject' })).toHaveAttribute('aria-pressed', 'true');
    await expect(player.getByRole('button', { name: '✓ Keep' })).toHaveAttribute('aria-pressed', 'false');
    await shotAll(app, '26-player');
    // From the player, every take of this row side by side (here all four, four being the most).
    await player.getByRole('button', { name: 'Compare 4 takes of this row' }).click();
    await expect(app.getByRole('dialog', { name: 'Compare 4 takes' }).getByTestId('take')).toHaveCount(4);
    await shotAll(app, '27-compare-four-takes');
    expect(errors).toEqual([]);
  });
});
