import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import { hydrated, login } from './helpers';

// Measures event→DOM latency: each synthetic event carries its publish time (`t=<µs>`, server clock);
// a MutationObserver notes when the bar's step text changes. Same machine, same clock. The figures go
// to BENCHMARKS.md; this is a measurement, not a timed assertion.
test('event to DOM latency over a synthetic run', async ({ page }) => {
  await login(page);
  await page.goto('/tests/synthetic');
  await hydrated(page);
  await page.getByLabel('Events', { exact: true }).fill('300');
  await page.getByLabel('Events per second').fill('30');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await page.evaluate(() => {
    const w = window as unknown as { __latencies: number[] };
    w.__latencies = [];
    const el = document.querySelector('[data-testid=current-step]')!;
    new MutationObserver(() => {
      const now = (performance.timeOrigin + performance.now()) * 1000;
      const m = /t=(\d+)/.exec(el.textContent ?? '');
      if (m) w.__latencies.push((now - Number(m[1])) / 1000);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 30_000 });
  const samples: number[] = await page.evaluate(() => (window as unknown as { __latencies: number[] }).__latencies);
  expect(samples.length).toBeGreaterThan(100);
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  const result = { samples: sorted.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: sorted[sorted.length - 1] };
  console.log(`event→DOM latency: ${JSON.stringify(result)}`);
  fs.mkdirSync('.tmp', { recursive: true });
  fs.writeFileSync('.tmp/latency.json', JSON.stringify(result, null, 2));
});
