import { expect, test } from '@playwright/test';
import { DEMO, hydrated, login, submitLogin } from './helpers';

test('the login page shows the demo account and works after hydration', async ({ page }) => {
  await page.goto('/');
  // Signed out: the server redirects to the login page before any script runs.
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText('Demo account')).toContainText(DEMO.username);
  await expect(page.getByText('Demo account')).toContainText(DEMO.password);

  await login(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Tests' })).toBeVisible();
  await expect(page.locator('.username')).toHaveText(DEMO.username);
  // Home was reached in the browser after signing in: it asked for the tests itself.
  await expect(page.locator('ul.tests').getByRole('link', { name: 'Demo API', exact: true })).toBeVisible();
});

test('a wrong password shows an error and does not sign in', async ({ page }) => {
  await submitLogin(page, DEMO.username, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('wrong username or password');
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign out ends the session', async ({ page }) => {
  await login(page);
  await expect(page.locator('.username')).toHaveText(DEMO.username);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  // A plain form: the server ends the session and the browser loads a fresh sign-in page.
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText('Demo account')).toContainText(DEMO.password);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});
