import path from 'node:path';
import { expect, shot, test } from './fixtures';

test('CSV import: headers are mapped, bad rows are shown per row and field, nothing is queued until fixed', async ({ app }) => {
  const avatar = path.resolve('test/fixtures/avatar.png');
  const csv = [
    'title,provider,Script text,avatar,param.aspect_ratio',
    `Intro,local,Hello and welcome.,${avatar},16:9`,
    `Broken,lokal,This row names a provider that does not exist.,${avatar},16:9`,
    `Missing file,local,The avatar is not there.,/nope/missing.png,1:1`,
  ].join('\n');
  await app.getByRole('tab', { name: 'Import CSV / JSONL' }).click();
  await app.getByLabel('Choose a CSV or JSONL file').setInputFiles({ name: 'spring.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(app.getByText('3 row(s) from spring')).toBeVisible();
  // "Script text" is not a known column: map it to script.
  await app.getByLabel('Script text').selectOption('script');
  await expect(app.getByText(/unknown column/)).toHaveCount(0);
  await app.getByRole('button', { name: 'Check 3 videos' }).click();
  await expect(app.getByText('2 row(s) need fixing before anything is queued. Nothing was sent.')).toBeVisible();
  await expect(app.locator('tr.bad')).toHaveCount(2);
  await expect(app.locator('tr.bad').first()).toContainText('provider');
  await expect(app.locator('tr.bad').first()).toContainText('"lokal" is not a provider');
  await expect(app.locator('tr.bad').nth(1)).toContainText('/nope/missing.png does not exist');
  await expect(app.getByRole('button', { name: 'Add 3 to queue' })).toBeDisabled();
  await shot(app, '12-import-preflight-errors');
  // Nothing was queued.
  await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Queue', exact: true }).click();
  await expect(app.getByText('No jobs here yet.')).toBeVisible();
});
