import { expect, type Page } from '@playwright/test';

export const DEMO = { username: 'demo', password: 'demo-password' };

/** Waits until the wasm bundle has hydrated the page (lib.rs sets this marker). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Signs in through the login form (at `base`, by default the server) and waits for the home page. */
export async function login(page: Page, username = DEMO.username, password = DEMO.password, base = '') {
  await submitLogin(page, username, password, base);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('.username')).toHaveText(username);
}

/** Fills and submits the login form, without waiting for the outcome. */
export async function submitLogin(page: Page, username: string, password: string, base = '') {
  await page.goto(`${base}/login`);
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Saves a screenshot for the docs (`docs/screenshots/NAME.png`) when SCREENSHOTS=1: the README and
 * docs show what the suite saw, and `SCREENSHOTS=1 ./run test` makes them again.
 */
export async function screenshot(page: Page, name: string) {
  if (process.env.SCREENSHOTS === '1') {
    await page.screenshot({ path: `../docs/screenshots/${name}.png`, fullPage: true });
  }
}
