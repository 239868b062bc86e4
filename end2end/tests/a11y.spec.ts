import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, login } from './helpers';

/** axe-core on the page as it is now (WCAG 2.0/2.1 A and AA rules): no serious or critical violation. */
async function noSeriousViolations(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  expect.soft(bad, `${name}: ${bad.join('\n')}`).toEqual([]);
}

async function visit(page: Page, path: string, theme: 'light' | 'dark') {
  await page.goto(path);
  await hydrated(page);
  await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
  await noSeriousViolations(page, `${path} (${theme})`);
}

for (const theme of ['light', 'dark'] as const) {
  test(`every page passes axe-core with no serious or critical violation, signed out and in (${theme})`, async ({ page }) => {
    await visit(page, '/login', theme);

    await login(page);
    // Two finished runs, for the run and compare pages.
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      await page.goto('/tests/demo');
      await hydrated(page);
      await page.getByRole('button', { name: 'Start' }).click();
      await expect(page).toHaveURL(/\?run=[0-9a-f]{32}$/);
      runs.push(new URL(page.url()).searchParams.get('run')!);
      await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
    }
    for (const path of [
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
    ]) {
      await visit(page, path, theme);
    }
  });
}
