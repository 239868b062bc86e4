import { expect, test } from '@playwright/test';
import { hydrated, login, screenshot } from './helpers';

const PORT = Number(process.env.E2E_PORT ?? 3100);

// Users ramp 0 → 3 → 0 over three seconds, each iteration taking the next row of the attached data.
const STAGED_SUITE = `name: Staged rows
variables:
  base: http://127.0.0.1:${PORT}
load:
  stages:
    - { duration: 1500ms, target: 3 }
    - { duration: 1500ms, target: 0 }
steps:
  - url: \${base}/demo/health?row=\${id}
    checks:
      status: 200
`;

test('data attached from a CSV file drives a staged load run whose chart shows the target beside the users', async ({ page }) => {
  await login(page);
  await page.getByRole('link', { name: 'Suites' }).click();
  await page.getByRole('link', { name: 'New suite' }).click();
  await hydrated(page);

  const editor = page.getByLabel('Suite (YAML or JSON)');
  await editor.fill(STAGED_SUITE);
  // `${id}` is unknown until the data is attached.
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('problems')).toContainText('unknown variable `id`');

  await page.getByLabel('Attach data (CSV or JSON)').setInputFiles({
    name: 'ids.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('id\n1\n2\n3\n'),
  });
  await expect(page.getByTestId('attached')).toHaveText('ids.csv attached as the suite\'s data.');
  await expect(editor).toHaveValue(/data:\n {2}csv: \|\n {4}id\n {4}1\n/);
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('suite-valid')).toBeVisible();
  await screenshot(page, 'data-rows');

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Run v1' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{32}$/);

  const load = page.getByTestId('load');
  await expect(load.getByTestId('load-target')).toHaveText(/^\d users$/);
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
  await expect(load.getByTestId('load-users')).toHaveText('3');
  await expect(load.getByTestId('load-errors')).toHaveText(/^0 /);
  const users = load.locator('figure', { has: page.getByRole('img', { name: /Virtual users/ }) });
  await expect(users.getByTestId('target-legend')).toBeVisible();
  await expect(users.locator('polyline.target')).toHaveAttribute('points', /\d+(\.\d)?,\d+/);
  await screenshot(page, 'load-stages');
});
