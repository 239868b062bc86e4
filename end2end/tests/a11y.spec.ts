import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { everyPage, finishedDemoRun, hydrated, loginAnyLanguage } from './helpers';

/** axe-core on the page as it is now (WCAG 2.0/2.1 A and AA rules): no serious or critical violation. */
async function noSeriousViolations(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  expect.soft(bad, `${name}: ${bad.join('\n')}`).toEqual([]);
}

async function visit(page: Page, path: string, theme: 'light' | 'dark', lang: string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
  await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
  await noSeriousViolations(page, `${path} (${lang}, ${theme})`);
}

// Every page in both languages (the browser's Accept-Language chooses) and both themes.
for (const locale of ['en-US', 'zh-CN'] as const) {
  const lang = locale === 'en-US' ? 'en' : 'zh-CN';
  test.describe(`in ${locale}`, () => {
    test.use({ locale });
    for (const theme of ['light', 'dark'] as const) {
      test(`every page passes axe-core with no serious or critical violation, signed out and in (${locale}, ${theme})`, async ({ page }) => {
        await visit(page, '/login', theme, lang);

        await loginAnyLanguage(page);
        // Two finished runs, for the run and compare pages.
        const runs = [await finishedDemoRun(page), await finishedDemoRun(page)];
        for (const path of everyPage(runs)) {
          await visit(page, path, theme, lang);
        }
      });
    }
  });
}
