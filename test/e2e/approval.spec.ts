import path from 'node:path';
import { expect, shot, test } from './fixtures';

/**
 * A Creatify template renders a preview first: the queue shows it as "Preview ready" under "Needs you",
 * offers "Approve preview" (the one actions table), and the final video is rendered once approved.
 */
test('a template preview waits under "Needs you" with its one choice, and is rendered once approved', async ({ app }) => {
  const avatar = path.resolve('test/fixtures/avatar.png');
  const row = {
    title: 'Template preview',
    provider: 'creatify',
    script: 'Our best product yet.',
    avatar,
    params: { product: 'template', template_id: '0b5e7c1a-3f55-4c8e-9d2a-6a1b2c3d4e5f', variables: { headline: 'Sale' }, script_variable: 'script', avatar_variable: 'product_image' },
  };
  await app.getByRole('tab', { name: 'Import CSV / JSONL' }).click();
  await app.getByLabel('Choose a CSV or JSONL file').setInputFiles({ name: 'template.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(`${JSON.stringify(row)}\n`) });
  await expect(app.getByText('1 row(s) from template')).toBeVisible();
  await app.getByRole('button', { name: 'Check 1 video' }).click();
  await app.getByRole('button', { name: 'Add 1 to queue' }).click();
  await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Queue', exact: true }).click();

  await app.getByRole('tab', { name: 'Needs you' }).click();
  const job = app.getByRole('row', { name: /Template preview, Creatify, Preview ready/ });
  await expect(job).toBeVisible();
  await expect(job.getByRole('button')).toHaveText(['Approve preview']);
  // Counted with what needs the user, not with the work in progress.
  // The count sits beside the Queue button (its name stays "Queue": axe's label-in-name rule).
  await expect(app.locator('.nav-slot', { has: app.getByRole('button', { name: 'Queue' }) }).locator('.badge.warn')).toHaveText('1');
  await expect(app.getByText('Queue idle')).toBeVisible();
  await job.click();
  const drawer = app.getByRole('dialog');
  await expect(drawer.getByText('Preview ready', { exact: true })).toBeVisible();
  await expect(drawer.getByText(/rendered \(and charged\) only once you approve it/)).toBeVisible();
  await shot(app, '13-preview-ready');
  await drawer.getByRole('button', { name: 'Approve preview' }).click();
  await app.getByRole('tab', { name: 'Done' }).click();
  await expect(app.getByRole('row', { name: /Template preview, Creatify, Done/ })).toBeVisible({ timeout: 60_000 });
});
