import { expect, test, type Page } from '@playwright/test';
import { hydrated, login } from './helpers';

/** Every wasm module the page fetches, by path, in order. */
function wasmRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) paths.push(path);
  });
  return paths;
}

const isPiece = (path: string) => /\/pkg\/(split_|chunk_)/.test(path);
const isConnection = (path: string) => path.includes('/split_connection_');
const isPage = (path: string) => /\/pkg\/split___/.test(path);

test('home loads only the main module; sign-in and the other pages bring their own module when first opened', async ({ page, browser }) => {
  const wasm = wasmRequests(page);
  const isMain = (p: string) => /^\/pkg\/livecheck\.[0-9a-f]{16}\.wasm$/.test(p);
  await page.goto('/login');
  await hydrated(page);
  expect(wasm.some(isMain)).toBe(true);
  // Signed out: the sign-in page's own module (a person signs in once for many visits), and not
  // the live connection's piece.
  expect(wasm.filter(isPage).length).toBeGreaterThan(0);
  expect(wasm.filter(isPage).every((p) => p.includes('/split___login_route_view'))).toBe(true);
  expect(wasm.filter(isConnection)).toEqual([]);

  await login(page);
  // The live connection's piece (and the chunks it shares with pages) comes once someone is signed
  // in and the page is drawn; no other page's module does: home needs only the main module.
  await expect.poll(() => wasm.filter(isConnection).length).toBe(1);
  expect(wasm.filter(isPage).filter((p) => !p.includes('/split___login_route_view'))).toEqual([]);

  // A visit that starts at home, signed in, with nothing cached: the main module, then the live
  // connection's piece, and no page's module; the recent runs came with the page.
  const visit = await browser.newContext({
    baseURL: new URL(page.url()).origin,
    storageState: await page.context().storageState(),
  });
  const home = await visit.newPage();
  const homeWasm = wasmRequests(home);
  await home.goto('/');
  await hydrated(home);
  await expect(home.getByRole('heading', { name: 'Recent runs' })).toBeVisible();
  await expect.poll(() => homeWasm.filter(isConnection).length).toBe(1);
  expect(homeWasm.filter(isMain)).toHaveLength(1);
  expect(homeWasm.filter(isPage)).toEqual([]);
  await visit.close();

  // The router goes to Usage in the browser: its module is fetched then, and the page is drawn by it.
  await page.getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
  await expect(page.getByTestId('usage').getByRole('heading', { name: 'Usage' })).toBeVisible();
  expect(wasm.some((p) => p.includes('/split___usage_route_view'))).toBe(true);
  expect(wasm.some((p) => p.includes('/split___admin_route_view'))).toBe(false);

  // A first visit straight to a lazy page: its module comes before hydration, and the page works.
  const before = wasm.length;
  await page.goto('/tests/demo');
  await hydrated(page);
  expect(wasm.slice(before).some((p) => p.includes('/split___test_route_view'))).toBe(true);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
});

test('a failed fetch of the live connection\'s piece is retried, and the page goes live', async ({ page }) => {
  await login(page);
  // The first request for the piece fails as a dropped network would; later ones go through.
  // (Routing also turns off the browser's cache, so the piece is fetched again.)
  let refused = 0;
  await page.route(/\/pkg\/split_connection_[^/]*\.wasm$/, (route) => {
    if (refused++ === 0) return route.abort('connectionreset');
    return route.continue();
  });
  const wasm = wasmRequests(page);
  await page.goto('/tests/demo');
  await hydrated(page);
  // The page keeps working (a panic would abort the whole wasm module), the socket comes up after
  // the piece is fetched again, and a run is followed to its end.
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 20_000 });
  expect(refused).toBeGreaterThanOrEqual(2);
  expect(wasm.filter(isConnection).length).toBeGreaterThanOrEqual(2);
});

test('a page whose code fails to load is loaded afresh from the server, not left dead', async ({ page }) => {
  await login(page);
  let refused = 0;
  await page.route(/\/pkg\/split___usage_route_view[^/]*\.wasm$/, (route) => {
    if (refused++ === 0) return route.abort('connectionreset');
    return route.continue();
  });
  await page.getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
  await expect(page.getByTestId('usage').getByRole('heading', { name: 'Usage' })).toBeVisible();
  await hydrated(page);
  expect(refused).toBe(2);
  // The reloaded page works: the router still goes to another page in the browser.
  await page.getByRole('link', { name: 'Suites' }).click();
  await expect(page).toHaveURL(/\/suites$/);
  await expect(page.getByRole('link', { name: 'New suite' })).toBeVisible();
});
