import { expect, test } from '@playwright/test';
import { hydrated, login, screenshot } from './helpers';

test('start the demo test and watch it go live from 0 % to 100 % and Completed', async ({ page }) => {
  await login(page);
  await page.locator('ul.tests').getByRole('link', { name: 'Demo API', exact: true }).click();
  await expect(page).toHaveURL(/\/tests\/demo$/);
  await hydrated(page);
  await page.getByLabel('Delay per step (ms)').fill('250');
  await page.getByRole('button', { name: 'Start' }).click();

  await expect(page).toHaveURL(/\/tests\/demo\?run=[0-9a-f]{32}$/);
  const bar = page.getByRole('progressbar', { name: 'Run progress' });
  const status = page.getByTestId('status');
  const connection = page.getByTestId('connection');
  await expect(connection).toHaveText('Live');

  // Seen while running: an intermediate percentage and the current step.
  await expect(status).toHaveText('Running');
  await expect(page.getByTestId('current-step')).toHaveText(/^\d\/8 — (GET|POST|PUT|DELETE) \/demo\//);
  await expect(page.getByTestId('elapsed')).toHaveText(/^Elapsed \d+\.\d s$/);
  const seen = new Set<string>();
  while ((await status.textContent()) === 'Running') {
    seen.add((await bar.getAttribute('aria-valuenow')) ?? '');
    await page.waitForTimeout(50);
  }
  expect([...seen].some((v) => Number(v) > 0 && Number(v) < 100)).toBeTruthy();

  await expect(status).toHaveText('Completed');
  // The polite live region says the end once, for screen readers.
  const announce = page.getByTestId('announce');
  await expect(announce).toHaveAttribute('aria-live', 'polite');
  await expect(announce).toHaveText('Run completed');
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('percent')).toHaveText('100 %');
  const rows = page.getByTestId('steps').locator('tbody tr');
  await expect(rows).toHaveCount(8);
  await expect(rows.nth(2)).toContainText('GET /demo/items');
  await expect(rows.filter({ hasText: 'passed' })).toHaveCount(8);
  await screenshot(page, 'live-run');
});

test('a failing check ends as Failed with the reason on the step', async ({ page }) => {
  await login(page);
  await page.goto('/tests/demo-failing');
  await hydrated(page);
  await page.getByLabel('Delay per step (ms)').fill('0');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText('Failed');
  const failed = page.getByTestId('steps').locator('tbody tr.fail');
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText('expected status 200, got 404');
  // Each check is listed; the list of a failed step is open and marks the failed check.
  const checks = failed.getByTestId('checks');
  await expect(checks).toHaveAttribute('open', '');
  await expect(checks.locator('li.fail').first()).toContainText('status 200');
});

test('the run page renders its state on the server, without JavaScript', async ({ browser }) => {
  // Start a run with a normal page, then open its URL in a context with scripts off.
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page);
  await page.goto('/tests/demo');
  await hydrated(page);
  await page.getByLabel('Delay per step (ms)').fill('0');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText('Completed');
  const url = page.url();
  const cookies = await context.cookies();
  await context.close();

  const noJs = await browser.newContext({ javaScriptEnabled: false });
  await noJs.addCookies(cookies);
  const plain = await noJs.newPage();
  await plain.goto(url);
  await expect(plain.getByTestId('status')).toHaveText('Completed');
  await expect(plain.getByTestId('percent')).toHaveText('100 %');
  await expect(plain.getByTestId('steps').locator('tbody tr')).toHaveCount(8);
  await noJs.close();
});
