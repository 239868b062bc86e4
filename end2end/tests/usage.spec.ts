import { expect, test } from '@playwright/test';
import { hydrated, login, screenshot } from './helpers';

test('the usage page charts runs per day, the pass rate and each stored suite\'s p95', async ({ page }) => {
  await login(page);
  // One finished run at least, whatever the other tests did.
  await page.locator('ul.tests').getByRole('link', { name: 'Demo API', exact: true }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });

  await page.getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
  await hydrated(page);
  const usage = page.getByTestId('usage');
  await expect(usage.getByRole('heading', { name: 'Usage' })).toBeVisible();
  await expect(usage.getByTestId('usage-runs')).toHaveText(/^[1-9]\d*$/);
  await expect(usage.getByTestId('usage-pass-rate')).toHaveText(/^\d+\.\d %$/);
  await expect(usage.getByRole('img', { name: /Runs per day/ })).toBeVisible();
  await expect(usage.getByRole('img', { name: 'Pass rate per day' })).toBeVisible();
  await expect(usage.locator('g.bar').first()).toBeAttached();
  await screenshot(page, 'usage');

  // The period is a shareable GET form.
  await usage.getByLabel('Period').selectOption('7');
  await usage.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/\/usage\?days=7$/);
  await expect(usage.getByTestId('usage-runs')).toHaveText(/^[1-9]\d*$/);
});
