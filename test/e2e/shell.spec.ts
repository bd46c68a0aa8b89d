/// <reference lib="dom" />
import { expect, shot, shotAll, test } from './fixtures';

test('server mode opens the app shell and every main screen', async ({ app }) => {
  await expect(app.getByRole('heading', { name: 'Create videos' })).toBeVisible();
  // The token leaves the address bar once read.
  expect(new URL(app.url()).searchParams.get('token')).toBeNull();
  await shot(app, '01-create');
  for (const [nav, heading, file] of [
    ['Queue', 'Queue', '02-queue-empty'],
    ['Library', 'Library', '03-library-empty'],
    ['Settings', 'Settings', '04-settings'],
  ] as const) {
    await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: nav, exact: true }).click();
    await expect(app.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    await shot(app, file);
  }
});

test('the API refuses requests without the token', async ({ server, request }) => {
  const origin = new URL(server.url).origin;
  const res = await request.post(`${origin}/api/app:info`, { data: {} });
  expect(res.status()).toBe(401);
});

test('follows the OS dark theme', async ({ app }) => {
  await app.emulateMedia({ colorScheme: 'dark' });
  const bg = await app.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
  expect(bg).toBe('#0f1318');
  await shot(app, '13-create-dark');
  await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
  await shot(app, '14-settings-dark');
});

test('every screen, empty, at 1440×900 and 1024×700, light and dark: nothing cut off, no serious axe finding', async ({ app }) => {
  for (const [nav, heading, file] of [
    ['Create', 'Create videos', '15-create'],
    ['Queue', 'Queue', '16-queue-empty'],
    ['Library', 'Library', '17-library-empty'],
    ['Settings', 'Settings', '18-settings'],
  ] as const) {
    await app.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: nav, exact: true }).click();
    await expect(app.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    await shotAll(app, file);
  }
});
