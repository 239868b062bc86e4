import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import { finishedDemoRun, hydrated, login, screenshot } from './helpers';

const PORT = Number(process.env.E2E_PORT ?? 3100);

// A load test against the app's own demo API (loopback), three seconds, four users.
const LOAD_SUITE = `name: Demo health under load
variables:
  base: http://127.0.0.1:${PORT}
load:
  users: 4
  duration: 3s
  thresholds: ["p99 < 2s", "error_rate < 1%"]
steps:
  - url: \${base}/demo/health
    checks:
      status: 200
`;

test('the editor shows each problem on its line, saves a valid suite, and runs it as a live load test', async ({ page }) => {
  await login(page);
  await page.getByRole('link', { name: 'Suites' }).click();
  await page.getByRole('link', { name: 'New suite' }).click();
  await expect(page).toHaveURL(/\/suites\/new$/);
  await hydrated(page);

  const editor = page.getByLabel('Suite (YAML or JSON)');
  // Line 11 gets an impossible status.
  await editor.fill(LOAD_SUITE.replace('status: 200', 'status: 999'));
  await page.getByRole('button', { name: 'Save' }).click();
  const note = page.getByTestId('line-notes').locator('[data-line="11"]');
  await expect(note).toContainText('steps[0].checks.status: 999 is not an HTTP status');
  await expect(page.getByTestId('code').locator('.gutter .ln.bad')).toHaveText(["11"]);
  await expect(page.getByTestId('problems')).toContainText('Line 11');
  await screenshot(page, 'suite-editor');
  await expect(page).toHaveURL(/\/suites\/new$/); // nothing was saved

  await editor.fill(LOAD_SUITE);
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('suite-valid')).toBeVisible();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId('suite-editor')).toContainText('v1');

  await page.getByRole('button', { name: 'Run v1' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{32}$/);
  const load = page.getByTestId('load');
  await expect(page.getByTestId('status')).toHaveText('Running');
  // Live figures while it runs.
  await expect(load.getByTestId('load-active-users')).toHaveText(/^[1-4]$/);
  await expect(load.getByTestId('load-requests')).not.toHaveText('0');
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
  // Final figures, the chart, and the thresholds as the run's result lines.
  await expect(load.getByTestId('load-users')).toHaveText('4');
  await expect(load.locator('svg polyline').first()).toHaveAttribute('points', /\d+(\.\d)?,\d+/);
  const rows = load.getByTestId('thresholds').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('p99 < 2s');
  await expect(rows.filter({ hasText: 'passed' })).toHaveCount(2);
  await screenshot(page, 'load-run');
  // The axes say what they measure, and the rate is labelled as a rate.
  await expect(load.getByRole('img', { name: /Requests per second/ })).toBeVisible();
  await expect(load.getByText('req/s').first()).toBeVisible();
  // Each threshold is drawn on the chart it applies to: the latency one across the latency chart
  // (a dashed line with its expression), and none on the rate chart.
  const latency = load.locator('figure', { has: page.getByRole('img', { name: /p95 latency/ }) });
  await expect(latency.locator('line.limit')).toHaveCount(1);
  await expect(latency.locator('text.limit-label')).toHaveText('p99 < 2s');
  const rate = load.locator('figure', { has: page.getByRole('img', { name: /Requests per second/ }) });
  await expect(rate.locator('line.limit')).toHaveCount(0);

  // The report downloads as one self-contained HTML file.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'HTML report' }).click();
  const file = await (await download).path();
  const html = fs.readFileSync(file, 'utf8');
  expect(html).toContain('Demo health under load');
  expect(html).toContain('p99 &lt; 2s');
  expect(html).not.toContain('<script');
  // What the person it is handed to sees: the file on its own, no server behind it.
  await page.setContent(html);
  await expect(page.getByRole('heading', { name: /Demo health under load/ }).first()).toBeVisible();
  await screenshot(page, 'report');
});

test('saving again shows the new version in the editor, and Run runs it', async ({ page }) => {
  await login(page);
  await page.goto('/suites/new');
  await hydrated(page);
  const one = `name: Versions ${Date.now().toString(36)}
steps:
  - url: http://127.0.0.1:${PORT}/demo/health
    checks: { status: 200 }
`;
  const editor = page.getByLabel('Suite (YAML or JSON)');
  await editor.fill(one);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Run v1' })).toBeVisible();

  await editor.fill(`${one}  - url: http://127.0.0.1:${PORT}/demo/items
    checks: { status: 200 }
`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('button', { name: 'Run v2' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'v1', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Run v2' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{32}$/);
  await expect(page.getByTestId('status')).toHaveText('Completed');
  await expect(page.getByTestId('steps').locator('tbody tr')).toHaveCount(2);
  // A run's own page has nothing to clear.
  await expect(page.getByRole('button', { name: 'Clear' })).toHaveCount(0);
});

test('history filters by suite and status, and two runs compare side by side', async ({ page }) => {
  await login(page);
  await page.goto('/suites/new');
  await hydrated(page);
  const quick = `name: Quick demo check
variables:
  base: http://127.0.0.1:${PORT}
steps:
  - url: \${base}/demo/health
    checks: { status: 200 }
  - url: \${base}/demo/items/999999
    checks: { status: 404 }
`;
  await page.getByLabel('Suite (YAML or JSON)').fill(quick);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);
  const suiteUrl = page.url();
  const suiteId = suiteUrl.split('/').pop();

  for (let i = 0; i < 2; i++) {
    await page.goto(suiteUrl);
    await hydrated(page);
    await page.getByRole('button', { name: 'Run v1' }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f]{32}$/);
    await expect(page.getByTestId('status')).toHaveText('Completed');
  }

  await page.goto(`/runs?suite=${suiteId}&status=completed`);
  await hydrated(page);
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Quick demo check');
  await page.goto(`/runs?suite=${suiteId}&status=failed`);
  // Wait for the answer itself (no rows is also what the page shows while loading).
  await expect(page.getByText('No runs here yet')).toBeVisible();
  await expect(page.getByTestId('run-row')).toHaveCount(0);

  await page.goto(`/runs?suite=${suiteId}`);
  await hydrated(page);
  await page.getByRole('checkbox', { name: 'Compare this run' }).nth(0).check();
  await page.getByRole('checkbox', { name: 'Compare this run' }).nth(1).check();
  await page.getByRole('button', { name: 'Compare two picked runs' }).click();
  await expect(page).toHaveURL(/\/runs\/compare\?id=[0-9a-f]{32}&id=[0-9a-f]{32}$/);
  const compare = page.getByTestId('compare');
  await expect(compare.getByTestId('step-delta')).toHaveCount(2);
  await expect(compare.getByTestId('total-delta')).toHaveText(/^[+-]?(\d+ ms|[\d:.]+ s|\d+:\d\d)$/);
  await screenshot(page, 'compare');
});

test('two runs of a built-in test compare under its name', async ({ page }) => {
  await login(page);
  const a = await finishedDemoRun(page);
  const b = await finishedDemoRun(page);
  await page.goto(`/runs/compare?id=${a}&id=${b}`);
  const compare = page.getByTestId('compare');
  await expect(compare.getByRole('row', { name: /^Suite/ })).toHaveText(/Suite\s*demo\s*demo/);
  await expect(compare.getByTestId('step-delta')).toHaveCount(8);
});

test('a Postman collection is imported from a file: preview, what was left out, then saved as a suite', async ({ page }) => {
  await login(page);
  await page.getByRole('link', { name: 'Suites' }).click();
  await page.getByRole('link', { name: 'Import' }).click();
  await expect(page).toHaveURL(/\/suites\/import$/);
  await hydrated(page);

  // A document that is not a collection: a clear refusal.
  await page.getByLabel('Or paste it here').fill('{"openapi": "3.1.0"}');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert')).toContainText('not a valid OpenAPI 3.1.0');

  // An OpenAPI 3.0 document in YAML, pasted: one step per operation.
  const openapi = fs.readFileSync('../tests/fixtures/import/petstore-expanded.openapi-3.0.yaml', 'utf8');
  await page.getByLabel('Or paste it here').fill(openapi);
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('import-preview')).toContainText('OpenAPI 3.0 · 4 steps');
  await expect(page.getByTestId('import-yaml')).toContainText('url: ${baseUrl}/pets/${id}');

  await page.getByLabel('Collection or OpenAPI file').setInputFiles('../tests/fixtures/import/team-api.postman_collection.json');
  await expect(page.getByLabel('Or paste it here')).toHaveValue(/"name": "Team API"/);
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByTestId('import-preview');
  await expect(preview.getByRole('heading', { name: 'Team API' })).toBeVisible();
  await expect(preview).toContainText('Postman Collection v2.1 · 8 steps');
  const notes = page.getByTestId('import-notes');
  await expect(notes).toContainText('test script not imported (3 lines)');
  await expect(notes).toContainText('multipart form-data body not imported');
  await screenshot(page, 'import');
  await expect(page.getByTestId('import-yaml')).toContainText('url: ${baseUrl}/users?limit=${page_size}');

  await page.getByRole('button', { name: 'Save as a new suite' }).click();
  await expect(page).toHaveURL(/\/suites\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Team API' })).toBeVisible();
  await expect(page.getByLabel('Suite (YAML or JSON)')).toHaveValue(/Users \/ Create user/);
});
