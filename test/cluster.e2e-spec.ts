import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMonitoring } from '../lib/core';
import { type Exposition, findSamples, parseExposition, sampleValue } from './utils/exposition';
import { send } from './utils/http-client';

const ROOT = join(__dirname, '..');
/** The primary's `timeoutMs`. */
const TIMEOUT_MS = 2000;
/**
 * How long the primary and its workers may take to start: each process compiles the library
 * with ts-node (a few seconds each, much more on a loaded machine).
 */
const READY_TIMEOUT_MS = 60_000;
const SERVICE = { service: 'cluster-app' };
/**
 * The exact label set of the library's HTTP metrics for the fixture's requests: a plain
 * `node:http` server has no Express routing, so the recorder's route is its one bounded value
 * for unrouted requests.
 */
const HTTP = { method: 'GET', route: 'UNMATCHED', status_code: '200', ...SERVICE };
/** `monitoring.metrics.setActiveJobs('renders', workerId * 10)` in each worker. */
const JOBS = { queue_name: 'renders', ...SERVICE };

interface Ready {
  metricsPort: number;
  sharedPort: number;
  workers: Array<{ id: number; pid: number; port: number }>;
}

interface ClusterApp {
  child: ChildProcess;
  ready: Ready;
  output: () => string;
  exited: Promise<void>;
}

/** Starts the cluster fixture (a primary and 2 workers) and waits until every worker listens. */
function startClusterApp(): Promise<ClusterApp> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'test/fixtures/cluster-app/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, WORKERS: '2', TIMEOUT_MS: String(TIMEOUT_MS) },
      stdio: 'pipe',
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`No READY line:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const line = /^READY (.*)$/m.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line[1]) as Ready, output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The cluster app exited (${code}) before READY:\n${output}`));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number): Promise<void> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('Cluster metrics: one scrape of the primary aggregates every worker', () => {
  let app: ClusterApp;
  let workerA: Ready['workers'][number];
  let workerB: Ready['workers'][number];
  /** Requests each worker counted, and the users each saw, as the workers reported them. */
  const hits = new Map<number, number>();
  const usersOf = new Map<number, Set<string>>();

  const url = (port: number) => `http://127.0.0.1:${port}`;

  async function hit(port: number, user: string): Promise<void> {
    const response = await send(url(port), 'GET', `/hit?user=${user}`);
    expect(response.status).toBe(200);
    const worker = Number(response.body); // the worker that counted it
    hits.set(worker, (hits.get(worker) ?? 0) + 1);
    if (!usersOf.has(worker)) usersOf.set(worker, new Set());
    usersOf.get(worker)!.add(user);
  }

  async function scrape(): Promise<{ status: number; exposition: Exposition; ms: number }> {
    const started = Date.now();
    const response = await send(url(app.ready.metricsPort), 'GET', '/metrics');
    return {
      status: response.status,
      exposition: parseExposition(response.body),
      ms: Date.now() - started,
    };
  }

  /** `active_users_total` of one unclustered monitoring instance that saw every given user. */
  async function estimateOf(...sets: Array<Set<string> | undefined>): Promise<number> {
    const monitoring = createMonitoring({
      service: 'cluster-app',
      metrics: { defaultMetrics: false },
      logging: { enabled: false },
    });
    try {
      for (const set of sets) {
        set?.forEach((userId) => monitoring.trackKPI({ type: 'active_user', data: { userId } }));
      }
      const exposition = parseExposition(await monitoring.getMetrics());
      return sampleValue(exposition, 'active_users_total', SERVICE);
    } finally {
      await monitoring.close();
    }
  }

  const scrapeErrors = (exposition: Exposition, reason: string): number =>
    sampleValue(exposition, 'observability_cluster_scrape_errors_total', { reason });

  beforeAll(async () => {
    app = await startClusterApp();
    [workerA, workerB] = app.ready.workers;
  }, READY_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (!app) return;
    for (const { pid } of app.ready.workers) {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    await Promise.all(app.ready.workers.map(({ pid }) => waitUntilDead(pid)));
  });

  it('sums counters and histograms and counts a user active on both workers once', async () => {
    // Users 0-13 on worker A, 6-19 on worker B: 20 distinct users, 8 of them on both.
    for (let i = 0; i < 14; i++) await hit(workerA.port, `user-${i}`);
    for (let i = 6; i < 20; i++) await hit(workerB.port, `user-${i}`);
    // And some through the shared port, wherever the primary's round-robin sends them.
    for (let i = 0; i < 6; i++) await hit(app.ready.sharedPort, `user-${i * 3}`);
    const total = 34;
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(hits.get(workerA.id)).toBeGreaterThanOrEqual(14);
    expect(hits.get(workerB.id)).toBeGreaterThanOrEqual(14);

    const { status, exposition } = await scrape();
    expect(status).toBe(200);
    // The library's own HTTP metrics, one series each, summed over the workers.
    expect(findSamples(exposition, 'http_requests_total')).toHaveLength(1);
    expect(sampleValue(exposition, 'http_requests_total', HTTP)).toBe(total);
    expect(sampleValue(exposition, 'http_request_duration_seconds_count', HTTP)).toBe(total);
    expect(
      sampleValue(exposition, 'http_request_duration_seconds_bucket', { ...HTTP, le: '+Inf' }),
    ).toBe(total);
    expect(sampleValue(exposition, 'active_jobs_total', JOBS)).toBe(10 + 20); // gauges: sum

    // The merged sketch is exactly what one monitoring instance that saw every user reports,
    // and with 20 users its estimate is exact; summing the workers' gauges would have said 28
    // or more.
    const activeUsers = sampleValue(exposition, 'active_users_total', SERVICE);
    expect(activeUsers).toBe(await estimateOf(usersOf.get(workerA.id), usersOf.get(workerB.id)));
    expect(activeUsers).toBe(20);
    expect(
      (await estimateOf(usersOf.get(workerA.id))) + (await estimateOf(usersOf.get(workerB.id))),
    ).toBeGreaterThanOrEqual(28);

    for (const reason of ['timeout', 'exit', 'error', 'invalid_response']) {
      expect(scrapeErrors(exposition, reason)).toBe(0);
    }
  });

  it('answers within timeoutMs when a worker hangs; its counters keep their last values', async () => {
    await send(url(workerB.port), 'GET', `/block?ms=${TIMEOUT_MS + 1000}`);
    const { status, exposition, ms } = await scrape();
    expect(status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    // Counters never go down (Prometheus would read a reset): worker B's last answer stands in.
    expect(sampleValue(exposition, 'http_requests_total', HTTP)).toBe(34);
    expect(sampleValue(exposition, 'http_request_duration_seconds_count', HTTP)).toBe(34);
    // Gauges describe the present: only the worker that answered.
    expect(sampleValue(exposition, 'active_jobs_total', JOBS)).toBe(10);
    expect(sampleValue(exposition, 'active_users_total', SERVICE)).toBe(
      await estimateOf(usersOf.get(workerA.id)),
    );
    expect(scrapeErrors(exposition, 'timeout')).toBe(1);
    expect(app.output()).toContain(
      `Cluster worker ${workerB.id} (pid ${workerB.pid}) was left out`,
    );

    // Once it is back, its late answer to the old scrape is ignored and it is served again.
    await new Promise((r) => setTimeout(r, 1200));
    const after = await scrape();
    expect(sampleValue(after.exposition, 'http_requests_total', HTTP)).toBe(34);
    expect(sampleValue(after.exposition, 'active_jobs_total', JOBS)).toBe(30);
    expect(sampleValue(after.exposition, 'active_users_total', SERVICE)).toBe(20);
    expect(scrapeErrors(after.exposition, 'timeout')).toBe(1);
  });

  it('gives a worker killed mid-scrape up at once, then keeps its last counters', async () => {
    await send(url(workerB.port), 'GET', '/block?ms=10000');
    const pending = scrape();
    await new Promise((r) => setTimeout(r, 300));
    process.kill(workerB.pid, 'SIGKILL');
    const { status, exposition, ms } = await pending;
    expect(status).toBe(200);
    expect(ms).toBeLessThan(TIMEOUT_MS - 500); // did not wait for the timeout
    expect(sampleValue(exposition, 'http_requests_total', HTTP)).toBe(34);
    expect(sampleValue(exposition, 'http_request_duration_seconds_count', HTTP)).toBe(34);
    expect(sampleValue(exposition, 'active_jobs_total', JOBS)).toBe(10);
    expect(sampleValue(exposition, 'active_users_total', SERVICE)).toBe(
      await estimateOf(usersOf.get(workerA.id)),
    );
    expect(scrapeErrors(exposition, 'exit')).toBe(1);
    expect(scrapeErrors(exposition, 'timeout')).toBe(1);

    // Later scrapes only ask the surviving worker (no more errors) and add its new requests to
    // the dead worker's last counts.
    await waitUntilDead(workerB.pid);
    for (let i = 0; i < 3; i++) await hit(workerA.port, `user-${i}`);
    const next = await scrape();
    expect(next.status).toBe(200);
    expect(next.ms).toBeLessThan(1000);
    expect(sampleValue(next.exposition, 'http_requests_total', HTTP)).toBe(37);
    expect(sampleValue(next.exposition, 'http_request_duration_seconds_count', HTTP)).toBe(37);
    expect(sampleValue(next.exposition, 'active_jobs_total', JOBS)).toBe(10);
    expect(sampleValue(next.exposition, 'active_users_total', SERVICE)).toBe(
      await estimateOf(usersOf.get(workerA.id)),
    );
    expect(scrapeErrors(next.exposition, 'exit')).toBe(1);
    expect(scrapeErrors(next.exposition, 'timeout')).toBe(1);
    expect(app.output()).toContain(`WORKER_EXIT ${workerB.id} SIGKILL`);
  });
});
