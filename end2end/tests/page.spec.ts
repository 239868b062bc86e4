import { expect, test, type Page } from '@playwright/test';
import { hydrated, login, screenshot } from './helpers';

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
/** Relative luminance of an `rgb(r, g, b)` colour, 0 (black) to 1 (white). */
function luminance(rgb: string): number {
  const parts = rgb.match(/[\d.]+/g)!.map(Number);
  // A transparent background is no answer: the page paints its own.
  expect(parts.length === 3 || parts[3] === 1, `opaque background, not ${rgb}`).toBeTruthy();
  const [r, g, b] = parts;
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

test('dark mode follows the system, and the toggle overrides it and is remembered', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await login(page);
  await hydrated(page);
  const toggle = page.getByRole('button', { name: /^Theme:/ });
  await expect(toggle).toHaveText('Theme: system');
  expect(luminance(await background(page))).toBeLessThan(0.2);

  await toggle.click();
  await expect(toggle).toHaveText('Theme: dark');
  expect(luminance(await background(page))).toBeLessThan(0.2);
  await screenshot(page, 'dark-mode');
  await toggle.click();
  await expect(toggle).toHaveText('Theme: light');
  expect(luminance(await background(page))).toBeGreaterThan(0.8);

  // Remembered across pages and reloads, and applied before the page hydrates.
  await page.goto('/runs');
  expect(luminance(await background(page))).toBeGreaterThan(0.8);
  await hydrated(page);
  await expect(toggle).toHaveText('Theme: light');

  await toggle.click();
  await expect(toggle).toHaveText('Theme: system');
  expect(luminance(await background(page))).toBeLessThan(0.2);
  await context.close();
});

test('the layout holds at phone width', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await login(page);
  for (const path of ['/', '/runs', '/suites', '/tests/demo', '/rooms', '/account', '/usage']) {
    await page.goto(path);
    await hydrated(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `page ${path} is ${width}px wide`).toBeLessThanOrEqual(375);
  }
  await page.goto('/tests/demo');
  await hydrated(page);
  await screenshot(page, 'phone');
  await context.close();
});
