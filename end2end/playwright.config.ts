import { defineConfig } from '@playwright/test';
import path from 'node:path';

// Runs against the real release binary (built by `./run build` / `./run test`) on its own port with a
// fresh data directory, in Debian's Chromium: Playwright downloads no browser here. The binary runs
// alone in an empty folder, with no LEPTOS_SITE_ROOT: the pages hydrate from the site inside it.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const TMP = path.resolve(__dirname, '.tmp');
const RUN_DIR = `${TMP}/run`;
const BINARY = path.resolve(__dirname, '../target/release/livecheck');
// Everything the server logs, read by the global teardown: an ERROR line fails the run.
export const SERVER_LOG = `${TMP}/server.log`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalTeardown: './server-log-check.ts',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    // `exec` in a subshell keeps the server the process Playwright stops; tee keeps its output visible.
    command: `rm -rf ${RUN_DIR} && mkdir -p ${RUN_DIR} && cp ${BINARY} ${RUN_DIR}/ && cd ${RUN_DIR} && (exec env -u LEPTOS_SITE_ROOT ./livecheck) 2>&1 | tee ${SERVER_LOG}`,
    url: `http://127.0.0.1:${PORT}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
      LIVECHECK_DATA_DIR: `${RUN_DIR}/data`,
      // Known to the tests, so they can mint a session that expires while a page is open.
      LIVECHECK_JWT_SECRET: process.env.E2E_JWT_SECRET ?? 'end-to-end-test-secret-0123456789abcdef',
      // As `./run serve` does: the demo account, and suites may call this host's demo API.
      LIVECHECK_DEMO: 'true',
      LIVECHECK_TARGET_ALLOW: '127.0.0.0/8,::1',
      // Schedules may fire every second here, so the schedule test need not wait for minutes.
      LIVECHECK_SCHEDULE_MIN_SECS: '1',
      RUST_LOG: 'warn',
    },
  },
});
