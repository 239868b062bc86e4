import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { hydrated, login, screenshot } from './helpers';

/** A target whose answer the test sets, and a webhook receiver that keeps what it is sent. */
async function outside() {
  const state = { status: 500, hooks: [] as any[] };
  const server = http.createServer((req, res) => {
    if (req.url === '/target') {
      res.writeHead(state.status).end();
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.hooks.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { state, port, close: () => server.close() };
}

test('a suite runs on a schedule, and its webhook hears when it fails and recovers', async ({ page }) => {
  const target = await outside();
  try {
    await login(page);
    const text = `name: Scheduled check\nsteps:\n  - name: target answers\n    url: http://127.0.0.1:${target.port}/target\n    checks: { status: 200 }\n`;
    const saved = await page.request.post('/api/save_suite', { form: { text } });
    expect(saved.ok()).toBeTruthy();

    await page.getByRole('link', { name: 'Schedules' }).click();
    await expect(page).toHaveURL(/\/schedules$/);
    await hydrated(page);
    const form = page.getByTestId('new-schedule');
    await form.getByLabel('Suite').selectOption({ label: 'Scheduled check' });
    await form.getByLabel('Cron pattern').fill('* * * * * *');
    await form.getByLabel('Time zone').fill('Asia/Shanghai');
    await form.getByLabel('Webhook URL (optional)').fill(`http://127.0.0.1:${target.port}/hook`);
    await form.getByRole('button', { name: 'Create schedule' }).click();

    const row = page.getByTestId('schedule').filter({ hasText: 'Scheduled check' });
    await expect(row).toContainText('Every second');
    await expect(row).toContainText('Asia/Shanghai');
    await expect(row).toContainText(`http://127.0.0.1:${target.port}/…`);
    await expect(row).not.toContainText('/hook');
    // The form is empty again: pressing once more would not make a twin by mistake.
    await expect(form.getByLabel('Cron pattern')).toHaveValue('');
    await expect(form.getByLabel('Webhook URL (optional)')).toHaveValue('');

    // It fails: one "failed" alert, with a link to the run.
    await expect.poll(() => target.state.hooks.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(target.state.hooks[0].event).toBe('failed');
    expect(target.state.hooks[0].text).toContain('Scheduled check failed');
    // The row names the latest run as the page was rendered; one second later the next run may be
    // under way there ("Running"), so the page is loaded again until it shows a finished one.
    await expect(async () => {
      await page.reload();
      await hydrated(page);
      await expect(row.getByRole('link', { name: 'Failed' })).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });

    // It recovers.
    target.state.status = 200;
    await expect
      .poll(() => target.state.hooks.map((h) => h.event), { timeout: 20_000 })
      .toEqual(['failed', 'recovered']);

    // The runs are in the history.
    await page.getByRole('link', { name: 'Runs' }).click();
    await expect(page.locator('table.runs')).toContainText('Scheduled check');

    // Paused, resumed, deleted.
    await page.getByRole('link', { name: 'Schedules' }).click();
    await hydrated(page);
    await row.getByRole('button', { name: 'Pause Scheduled check schedule' }).click();
    await expect(row).toContainText('paused');
    await expect(row.getByRole('button', { name: 'Resume Scheduled check schedule' })).toBeVisible();
    await screenshot(page, 'schedules');
    await row.getByRole('button', { name: 'Delete Scheduled check schedule' }).click();
    await expect(page.getByTestId('schedule').filter({ hasText: 'Scheduled check' })).toHaveCount(0);
  } finally {
    target.close();
  }
});

test('a bad pattern is refused with its reason', async ({ page }) => {
  await login(page);
  const saved = await page.request.post('/api/save_suite', {
    form: { text: 'name: Refused schedule\nsteps:\n  - url: http://127.0.0.1:1/x\n' },
  });
  expect(saved.ok()).toBeTruthy();
  await page.goto('/schedules');
  await hydrated(page);
  const form = page.getByTestId('new-schedule');
  await form.getByLabel('Suite').selectOption({ label: 'Refused schedule' });
  await form.getByLabel('Cron pattern').fill('61 * * * *');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('alert')).toContainText('cron:');
  await form.getByLabel('Cron pattern').fill('0 9 * * *');
  await form.getByLabel('Time zone').fill('Mars/Olympus');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('alert')).toContainText('time zone');
  await expect(page.getByTestId('schedule').filter({ hasText: 'Refused schedule' })).toHaveCount(0);
});
