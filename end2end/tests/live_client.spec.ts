import { expect, test, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { hydrated, login } from './helpers';
import { DropProxy } from './proxy';

const PORT = Number(process.env.E2E_PORT ?? 3100);
const SECRET = process.env.E2E_JWT_SECRET ?? 'end-to-end-test-secret-0123456789abcdef';

async function startDemo(page: Page, delay: string, key = 'demo', base = '') {
  await page.goto(`${base}/tests/${key}`);
  await hydrated(page);
  await page.getByLabel('Delay per step (ms)').fill(delay);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page).toHaveURL(/\?run=[0-9a-f]{32}$/);
  await expect(page.getByTestId('connection')).toHaveText('Live');
}

test('a dropped connection reconnects, resumes, and shows every step exactly once', async ({ page }) => {
  const proxy = new DropProxy(PORT);
  const port = await proxy.start();
  try {
    const base = `http://127.0.0.1:${port}`;
    await login(page, undefined, undefined, base);
    await startDemo(page, '400', 'demo', base);
    await expect(page.getByTestId('steps').locator('tbody tr')).toHaveCount(2);

    proxy.dropAll();
    await expect(page.getByTestId('connection')).toHaveText(/Reconnecting/);
    await expect(page.getByTestId('connection')).toHaveText('Live', { timeout: 20_000 });
    await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
    const rows = page.getByTestId('steps').locator('tbody tr');
    await expect(rows).toHaveCount(8);
    const indexes = await rows.locator('td:first-child').allTextContents();
    expect(indexes).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  } finally {
    await proxy.stop();
  }
});

test('going offline shows reconnecting; coming back online recovers at once', async ({ page, context }) => {
  const proxy = new DropProxy(PORT);
  const port = await proxy.start();
  try {
    const base = `http://127.0.0.1:${port}`;
    await login(page, undefined, undefined, base);
    await startDemo(page, '300', 'demo', base);

    await context.setOffline(true);
    proxy.dropAll();
    await expect(page.getByTestId('connection')).toHaveText(/Reconnecting/);
    await page.waitForTimeout(1_500);
    await context.setOffline(false);
    // The `online` event reconnects without waiting out the backoff.
    await expect(page.getByTestId('connection')).toHaveText('Live', { timeout: 5_000 });
    await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
    await expect(page.getByTestId('steps').locator('tbody tr')).toHaveCount(8);
  } finally {
    await proxy.stop();
  }
});

test('while the server is unreachable, the wait before the next attempt counts down', async ({ page, context }) => {
  const proxy = new DropProxy(PORT);
  const port = await proxy.start();
  try {
    const base = `http://127.0.0.1:${port}`;
    await login(page, undefined, undefined, base);
    await startDemo(page, '400', 'demo', base);

    proxy.refuse = true;
    proxy.dropAll();
    const connection = page.getByTestId('connection');
    await expect(connection).toHaveText(/Reconnecting/);
    // Sample the label: within one attempt, the seconds left must go down.
    const seen: Array<[number, number]> = [];
    const deadline = Date.now() + 12_000;
    let counted = false;
    while (!counted && Date.now() < deadline) {
      const m = /attempt (\d+), in ([\d.]+) s/.exec(await connection.innerText());
      if (m) {
        const [attempt, left] = [Number(m[1]), Number(m[2])];
        counted = seen.some(([a, l]) => a === attempt && l > left);
        seen.push([attempt, left]);
      }
      await page.waitForTimeout(150);
    }
    expect(counted, `labels seen: ${JSON.stringify(seen)}`).toBe(true);

    // Back up; the `online` event retries at once instead of waiting out a long backoff.
    proxy.refuse = false;
    await context.setOffline(true);
    await context.setOffline(false);
    await expect(connection).toHaveText('Live', { timeout: 10_000 });
  } finally {
    await proxy.stop();
  }
});

test('cancel, restart and clear', async ({ page }) => {
  await login(page);
  await startDemo(page, '600');
  await expect(page.getByTestId('status')).toHaveText('Running');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('status')).toHaveText('Cancelled');
  const cancelledUrl = page.url();

  await page.getByRole('button', { name: 'Restart' }).click();
  await expect(page).not.toHaveURL(cancelledUrl);
  await expect(page.getByTestId('status')).toHaveText('Running');
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page).toHaveURL(/\/tests\/demo$/);
  await expect(page.getByRole('progressbar')).toHaveCount(0);
});

test('a second tab opened mid-run shows the current state at once and both finish together', async ({ page, context }) => {
  await login(page);
  await startDemo(page, '400');
  await expect(page.getByTestId('steps').locator('tbody tr')).toHaveCount(3);

  const second = await context.newPage();
  await second.goto(page.url());
  // Rendered by the server from the run's snapshot: already past step 3 before any script runs.
  const rendered = Number(await second.getByRole('progressbar').getAttribute('aria-valuenow'));
  expect(rendered).toBeGreaterThanOrEqual(37);
  await hydrated(second);
  for (const p of [page, second]) {
    await expect(p.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
    await expect(p.getByTestId('steps').locator('tbody tr')).toHaveCount(8);
  }
});

function jwt(sub: string, name: string, secondsFromNow: number) {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, name, iat: now, exp: now + secondsFromNow })}`;
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${sig}`;
}

test('an expiring session shows a clear signed-out state instead of reconnecting', async ({ page, context }) => {
  await login(page);
  await startDemo(page, '0');
  const url = page.url();
  await context.clearCookies();
  const expiresAt = Date.now() + 4_000;
  await context.addCookies([{ name: 'livecheck_session', value: jwt('1', 'demo', 4), url: `http://127.0.0.1:${PORT}` }]);
  await page.goto(url);
  await hydrated(page);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(page.getByTestId('connection')).toHaveText(/signed out|session has expired/, { timeout: 15_000 });
  // And it stays that way: no reconnect loop.
  await page.waitForTimeout(2_000);
  await expect(page.getByTestId('connection')).toHaveText(/signed out|session has expired/);
  // The link loads the sign-in page afresh. (The server accepts a token up to 5 s past its
  // expiry, for clocks that differ a little: that is waited out first.)
  await page.waitForTimeout(Math.max(0, expiresAt + 6_000 - Date.now()));
  await page.getByRole('link', { name: 'Sign in again' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText('Demo account')).toContainText('demo-password');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
});

test('the runs dashboard lists runs with live mini progress bars', async ({ page }) => {
  await login(page);
  await startDemo(page, '300');
  await page.goto('/runs');
  await hydrated(page);
  const first = page.getByTestId('run-row').first();
  await expect(first).toContainText('Demo API');
  await expect(first.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
  await expect(first.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
});
