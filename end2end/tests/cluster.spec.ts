import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { hydrated, login } from './helpers';
import { Balancer } from './balancer';

// Two nodes of one cluster (one Redis, one PostgreSQL when `./run test` gives one; otherwise one
// shared SQLite file) behind a TCP balancer that is part of the test. `./run test` starts Redis and
// PostgreSQL and passes their addresses; without Redis there is no cluster to test.
const REDIS = process.env.E2E_REDIS_URL;
const POSTGRES = process.env.E2E_POSTGRES_URL;
const BINARY = path.resolve(__dirname, '../../target/release/livecheck');
const TMP = path.resolve(__dirname, '../.tmp/cluster');
const SECRET = 'cluster-end-to-end-secret-0123456789abcdef';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Node {
  name: string;
  port: number;
  process: ChildProcess;
  log: string;
}

/** Starts a node (the release binary, from an empty folder) and waits until it is ready. */
async function startNode(name: string, prefix: string): Promise<Node> {
  const port = await freePort();
  const dir = `${TMP}/${name}`;
  mkdirSync(dir, { recursive: true });
  const log = `${dir}/server.log`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    // Without PostgreSQL the nodes share one SQLite file, as processes on one machine can.
    LIVECHECK_DATA_DIR: POSTGRES ? `${dir}/data` : `${TMP}/shared-data`,
    LIVECHECK_JWT_SECRET: SECRET,
    LIVECHECK_REDIS_URL: REDIS,
    LIVECHECK_REDIS_PREFIX: prefix,
    LIVECHECK_NODE_LEASE_SECS: '2',
    LIVECHECK_DEMO: 'true',
    LIVECHECK_TARGET_ALLOW: '127.0.0.0/8,::1',
    RUST_LOG: 'warn',
  };
  delete env.LEPTOS_SITE_ROOT;
  if (POSTGRES) env.LIVECHECK_DATABASE_URL = POSTGRES;
  const child = spawn(BINARY, [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${name} exited: ${readFileSync(log, 'utf8')}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`node ${name} was not ready in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, port, process: child, log };
}

function errorLines(node: Node): string[] {
  return readFileSync(node.log, 'utf8')
    .split('\n')
    .filter((line) => /\bERROR\b/.test(line) || line.includes('panicked at'));
}

test('through a balancer, a run on node A is watched on B; B is killed and the bar carries on from A with every step once', async ({ page }) => {
  test.skip(!REDIS, 'the cluster needs Redis: ./run test starts one and sets E2E_REDIS_URL');
  rmSync(TMP, { recursive: true, force: true });
  const prefix = `e2e-${Date.now().toString(36)}`;
  const nodes: Node[] = [];
  let balancer: Balancer | undefined;
  try {
    // One after the other: the first one migrates the shared database.
    const a = await startNode('a', prefix);
    nodes.push(a);
    const b = await startNode('b', prefix);
    nodes.push(b);
    balancer = new Balancer([a.port, b.port]);
    const base = `http://127.0.0.1:${await balancer.start()}`;

    // Signed in and the run started on A: it executes there.
    balancer.prefer(a.port);
    await login(page, undefined, undefined, base);
    await page.goto(`${base}/tests/demo`);
    await hydrated(page);
    await page.getByLabel('Delay per step (ms)').fill('1000');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page).toHaveURL(/\?run=[0-9a-f]{32}$/);
    await expect(page.getByTestId('connection')).toHaveText('Live');
    const rows = page.getByTestId('steps').locator('tbody tr');
    await expect(rows).toHaveCount(1, { timeout: 10_000 });

    // The balancer moves the page to B (as a proxy reloading its upstreams would): the client
    // reconnects there and B follows A's run through Redis.
    balancer.prefer(b.port);
    balancer.cut(a.port);
    await expect(page.getByTestId('connection')).toHaveText('Live', { timeout: 10_000 });
    await expect.poll(() => balancer!.open(b.port)).toBeGreaterThan(0);
    expect(balancer.open(a.port)).toBe(0);
    const before = await rows.count();
    await expect(rows).toHaveCount(before + 1, { timeout: 10_000 });

    // B dies mid-run. The client reconnects through the balancer, which finds only A alive.
    b.process.kill('SIGKILL');
    await expect(page.getByTestId('connection')).toHaveText(/Reconnecting/);
    await expect(page.getByTestId('connection')).toHaveText('Live', { timeout: 10_000 });
    expect(balancer.open(a.port)).toBeGreaterThan(0);
    expect(await rows.count()).toBeLessThan(8);

    await expect(page.getByTestId('status')).toHaveText('Completed', { timeout: 30_000 });
    await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
    await expect(rows).toHaveCount(8);
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(errorLines(a)).toEqual([]);
  } finally {
    await balancer?.stop();
    for (const n of nodes) n.process.kill('SIGKILL');
  }
});
