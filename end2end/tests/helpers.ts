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

/** Signs in the demo account in whatever language the page is in (by the fields' names, not labels). */
export async function loginAnyLanguage(page: Page, username = DEMO.username, password = DEMO.password) {
  await page.goto('/login');
  await hydrated(page);
  await page.locator('input[name=username]').first().fill(username);
  await page.locator('input[name=password]').first().fill(password);
  await page.locator('section.login form button[type=submit]').first().click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('.username')).toHaveText(username);
}

/** Starts the demo test from its page and waits for it to finish; returns the run's id. */
export async function finishedDemoRun(page: Page): Promise<string> {
  await page.goto('/tests/demo');
  await hydrated(page);
  await page.locator('form.start button[type=submit]').click();
  await expect(page).toHaveURL(/\?run=[0-9a-f]{32}$/);
  const run = new URL(page.url()).searchParams.get('run')!;
  await expect(page.locator('.progress')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  return run;
}

/** Every page of the app a signed-in admin can open, given two finished runs (a11y and i18n walk them). */
export function everyPage(runs: string[]): string[] {
  return [
    '/',
    '/tests/demo',
    `/tests/demo?run=${runs[0]}`,
    '/runs',
    `/runs/${runs[0]}`,
    `/runs/compare?id=${runs[0]}&id=${runs[1]}`,
    '/suites',
    '/suites/new',
    '/suites/import',
    '/rooms',
    '/usage',
    '/schedules',
    '/account',
    '/admin',
  ];
}
