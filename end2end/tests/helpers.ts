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
