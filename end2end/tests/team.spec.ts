import { expect, test, type Browser } from '@playwright/test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hydrated, login } from './helpers';

const PORT = Number(process.env.E2E_PORT ?? 3100);
const run = promisify(execFile);

// Each user in a browser of their own.
async function as(browser: Browser, username: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, username, password);
  return page;
}

const SUITE = `name: Team watch
variables:
  base: http://127.0.0.1:${PORT}
steps:
  - url: \${base}/demo/health?delay_ms=1500
    checks: { status: 200 }
  - url: \${base}/demo/items?delay_ms=1500
    checks: { status: 200 }
  - url: \${base}/demo/health?delay_ms=1500
    checks: { status: 200 }
`;

test('an admin creates a member and a viewer; the member shares a suite into a room and runs it; the viewer watches it live without a Start button', async ({ browser }) => {
  const stamp = Date.now().toString(36);
  const member = `mia-${stamp}`;
  const viewer = `vera-${stamp}`;
  const room = `qa-${stamp}`;

  // The admin (the demo account is one) creates both accounts.
  const admin = await as(browser, 'demo', 'demo-password');
  await admin.getByRole('link', { name: 'Admin' }).click();
  await expect(admin).toHaveURL(/\/admin$/);
  await hydrated(admin);
  const users = admin.getByTestId('users');
  for (const [name, role] of [[member, 'member'], [viewer, 'viewer']]) {
    await users.getByLabel('Username', { exact: true }).fill(name);
    await users.getByLabel('Password', { exact: true }).fill('a-long-password');
    await users.getByLabel('Role', { exact: true }).selectOption(role);
    await users.getByRole('button', { name: 'Create user' }).click();
    const row = users.locator(`tr[data-user="${name}"]`);
    await expect(row).toContainText('active');
    await expect(row.getByLabel(`Role of ${name}`)).toHaveValue(role);
    // Each row's buttons are named for their user, not just "Set".
    await expect(row.getByRole('button', { name: `Set role: ${name}` })).toBeVisible();
    await expect(row.getByRole('button', { name: `Disable: ${name}` })).toBeVisible();
    // The form starts empty again: the password typed does not stay on screen.
    await expect(users.getByLabel('Username', { exact: true })).toHaveValue('');
    await expect(users.getByLabel('Password', { exact: true })).toHaveValue('');
  }

  // The member makes a room, adds the viewer, saves a suite and shares it into the room.
  const mia = await as(browser, member, 'a-long-password');
  await mia.getByRole('link', { name: 'Rooms' }).click();
  await hydrated(mia);
  await mia.getByLabel('New room').fill(room);
  await mia.getByRole('button', { name: 'Create room' }).click();
  await expect(mia.getByRole('link', { name: room })).toBeVisible();
  await expect(mia.getByLabel('New room')).toHaveValue('');
  await mia.getByRole('link', { name: room }).click();
  await expect(mia).toHaveURL(new RegExp(`/rooms/${room}$`));
  await hydrated(mia);
  await mia.getByLabel('Add member').fill(viewer);
  await mia.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(mia.getByTestId('members')).toContainText(viewer);

  await mia.goto('/suites/new');
  await hydrated(mia);
  await mia.getByLabel('Suite (YAML or JSON)').fill(SUITE);
  await mia.getByRole('button', { name: 'Save' }).click();
  await expect(mia).toHaveURL(/\/suites\/\d+$/);
  const suiteUrl = new URL(mia.url()).pathname;
  await hydrated(mia);
  await mia.getByLabel('Share into room').selectOption(room);
  await mia.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(mia.getByText('Shared: the room')).toBeVisible();

  // The viewer sees the shared suite in the room, but no Run button and no Start button anywhere.
  const vera = await as(browser, viewer, 'a-long-password');
  await vera.goto(`/rooms/${room}`);
  await hydrated(vera);
  await expect(vera.getByTestId('room-suites')).toContainText('Team watch');
  await vera.goto(suiteUrl);
  await hydrated(vera);
  await expect(vera.getByTestId('suite-owner')).toContainText(`By ${member}`);
  await expect(vera.getByRole('button', { name: /^Run v/ })).toHaveCount(0);
  await vera.goto('/tests/demo');
  await hydrated(vera);
  await expect(vera.getByTestId('viewer-note')).toBeVisible();
  await expect(vera.getByRole('button', { name: 'Start' })).toHaveCount(0);
  // Import says up front that a viewer does not write suites; Admin refuses once, not part by part.
  await vera.goto('/suites/import');
  await hydrated(vera);
  await expect(vera.getByTestId('viewer-note')).toBeVisible();
  await expect(vera.getByRole('button', { name: 'Preview' })).toHaveCount(0);
  await vera.goto('/admin');
  await hydrated(vera);
  await expect(vera.getByRole('alert')).toHaveText('you are not allowed to do that');
  await expect(vera.getByTestId('users')).toHaveCount(0);

  // The member runs it (into the room), and the viewer watches that run live.
  await mia.goto(suiteUrl);
  await hydrated(mia);
  await mia.getByRole('button', { name: 'Run v1' }).click();
  await expect(mia).toHaveURL(/\/runs\/[0-9a-f]{32}$/);
  const runPath = new URL(mia.url()).pathname;
  // Hers to stop or repeat; the viewer below only watches.
  await hydrated(mia);
  await expect(mia.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await expect(mia.getByRole('button', { name: 'Restart' })).toBeVisible();
  await vera.goto(runPath);
  await hydrated(vera);
  await expect(vera.getByTestId('connection')).toHaveText('Live');
  await expect(vera.getByTestId('status')).toHaveText('Running');
  await expect(vera.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  await expect(vera.getByRole('button', { name: 'Restart' })).toHaveCount(0);
  await expect(vera.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
  await expect(vera.getByTestId('steps').locator('tbody tr')).toHaveCount(3);
});

test('a token created in the UI drives livecheck run --server to a pass', async ({ page }) => {
  await login(page);
  await page.goto('/suites/new');
  await hydrated(page);
  const name = `CI check ${Date.now().toString(36)}`;
  await page.getByLabel('Suite (YAML or JSON)').fill(SUITE.replace('Team watch', name).replaceAll('delay_ms=1500', 'delay_ms=0'));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);

  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('pipeline');
  await page.getByLabel('may start runs').check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
  expect(secret).toMatch(/^lc_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId('tokens')).toContainText('pipeline');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');

  const { stdout } = await run('../target/release/livecheck', ['run', '--server', `http://127.0.0.1:${PORT}`, name], {
    env: { ...process.env, LIVECHECK_TOKEN: secret },
    timeout: 30_000,
  });
  expect(stdout).toContain('✓ 3/3');
  expect(stdout).toContain('PASSED');
});
