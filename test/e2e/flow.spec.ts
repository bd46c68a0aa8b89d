/// <reference lib="dom" />
import path from 'node:path';
import { expect, shot, test } from './fixtures';

const FIX = path.resolve('test/fixtures');

test.use({});

test('drop files → batch across 3 providers → progress → library playback → search/filter → retry → settings', async ({ app, server }) => {
  test.slow();
  // Files arrive by a real drop event (DataTransfer built in the page from the fixture bytes)…
  const avatar = (await import('node:fs')).readFileSync(path.join(FIX, 'avatar.png')).toString('base64');
  await expect(app.locator('.drop')).toBeVisible();
  await app.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'presenter.png', { type: 'image/png' }));
    const zone = document.querySelector('.drop')!;
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, avatar);
  await expect(app.locator('.file-card .name', { hasText: 'presenter.png' })).toBeVisible();
  await expect(app.getByText(/512×512/)).toBeVisible();
  // …or through the file picker; an unsupported file is rejected with the reason.
  await app.getByTestId('file-input').setInputFiles([path.join(FIX, 'voice.wav')]);
  await expect(app.locator('.file-card .name', { hasText: 'voice.wav' })).toBeVisible();
  await app.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(app.getByText(/notes\.txt: \.txt files are not supported/)).toBeVisible();

  // Matrix: 2 scripts × 1 avatar × 3 providers = 6 videos.
  await app.getByRole('tab', { name: 'Matrix' }).click();
  await app.getByLabel(/One script per line/).fill('Welcome to the spring launch.\nThanks for watching, see you soon.');
  await app.getByRole('checkbox', { name: /Oshara/ }).click();
  await app.getByRole('checkbox', { name: /TechForge/ }).click();
  // TechForge needs its project id (the demo fake's project).
  await app.locator('#param-techforge-project_id').fill('468ea7a0-66e1-4357-a760-236e54167f3e');
  await expect(app.getByText('= 6 videos')).toBeVisible();
  await app.getByLabel('Batch name (the library folder)').fill('Spring launch');
  await app.getByRole('button', { name: 'Check 6 videos' }).click();
  await expect(app.getByText('Everything checks out')).toBeVisible();
  await shot(app, '05-create-preflight');
  await app.getByRole('button', { name: 'Add 6 to queue' }).click();

  // The queue shows live progress; Oshara's first job fails (demo knob), the rest complete.
  await expect(app.getByRole('heading', { name: 'Queue', exact: true })).toBeVisible();
  await expect(app.locator('.job-row')).toHaveCount(6);
  await shot(app, '06-queue-running');
  await expect(app.locator('.job-row[data-status="completed"]')).toHaveCount(5, { timeout: 60_000 });
  await expect(app.locator('.job-row[data-status="failed"]')).toHaveCount(1);
  const failed = app.locator('.job-row[data-status="failed"]');
  await expect(failed).toContainText('demo failure');
  await failed.click();
  await expect(app.getByRole('dialog', { name: /./ })).toContainText('Timeline');
  await shot(app, '07-job-drawer-failed');
  await app.getByRole('dialog').getByRole('button', { name: 'Retry' }).click();
  await app.getByRole('button', { name: 'Close details' }).click();
  await expect(app.locator('.job-row[data-status="completed"]')).toHaveCount(6, { timeout: 60_000 });
  await shot(app, '08-queue-done');

  // Library: six videos, play one, search and filter.
  await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Library', exact: true }).click();
  await expect(app.locator('.lib-card')).toHaveCount(6);
  await shot(app, '09-library');
  await app.locator('.lib-thumb').first().click();
  const player = app.getByTestId('player');
  await expect(player).toBeVisible();
  await expect.poll(async () => await player.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  expect(await player.evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(0);
  await app.getByRole('dialog').getByRole('button', { name: '✓ Keep' }).click();
  await expect(app.getByRole('dialog').getByRole('button', { name: '✓ Keep' })).toHaveAttribute('aria-pressed', 'true');
  await shot(app, '10-player');
  await app.getByRole('button', { name: 'Close player' }).click();
  await app.getByLabel('Search titles and scripts').fill('spring');
  await expect(app.locator('.lib-card')).toHaveCount(3);
  await app.getByLabel('Provider').selectOption('techforge');
  await expect(app.locator('.lib-card')).toHaveCount(1);
  await app.getByLabel('Search titles and scripts').fill('');
  await app.getByLabel('Provider').selectOption('');
  await app.getByLabel('Review').selectOption('approved');
  await expect(app.locator('.lib-card')).toHaveCount(1);
  await app.getByLabel('Review').selectOption('');

  // Settings: a key typed in is saved and never shown again (only its last 4 characters).
  const secret = 'sk-canary-e2e-1234567890-WXYZ';
  const bodies: string[] = [];
  app.on('response', (r) => {
    if (r.url().includes('/api/')) void r.text().then((t) => bodies.push(t)).catch(() => undefined);
  });
  await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
  await app.locator('#sync-apiKey').fill(secret);
  await app.locator('#sync-label').fill('Canary');
  await app.getByRole('form', { name: 'Add a key for sync' }).getByRole('button', { name: 'Save key' }).click();
  await expect(app.locator('.key-row', { hasText: 'Canary' })).toBeVisible();
  await expect(app.getByText('••••WXYZ').first()).toBeVisible();
  await expect(app.locator('#sync-apiKey')).toHaveValue('');
  await shot(app, '11-settings-key');
  expect(await app.content()).not.toContain(secret);
  expect(bodies.join('\n')).not.toContain(secret);
  expect(server.output()).not.toContain(secret);
});
