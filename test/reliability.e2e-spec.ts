import { Queue } from 'bullmq';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Exposition, findSamples, parseExposition, sampleValue } from './utils/exposition';
import { closedPort, HttpReceiver } from './utils/http-receiver';
import { startWorker, stopProcess } from './utils/queue-worker';
import {
  describeWithRedis,
  type RedisClientInfo,
  redisClients,
  type RedisHandle,
  startRedis,
} from './utils/redis-server';

/**
 * What an application does when what it depends on fails: Redis killed and restarted, Sentry
 * refusing connections or accepting them and never answering. The application runs in its own
 * process (test/fixtures/reliability-app) so the suite sees everything it prints: its logs are
 * JSON lines on stdout, so anything on stderr (an ioredis "Unhandled error event", an
 * unhandled rejection) is a failure. Every server is started on 127.0.0.1 by the suite.
 */

const ROOT = join(__dirname, '..');
const QUEUE = 'reliability-jobs';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each test boots an application in a child process and waits through an outage.
jest.setTimeout(60_000);

interface AppProcess {
  child: ChildProcess;
  url(path: string): string;
  metricsUrl: string;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far. */
  logs(): Array<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** Starts the fixture application with `env` and waits until it listens. */
async function startApp(env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'test/fixtures/reliability-app/main.ts',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, SENTRY_DSN: '', ...env, QUEUE_NAME: QUEUE },
      stdio: 'pipe',
    },
  );
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    listeners.forEach((listener) => listener());
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      listeners.forEach((listener) => listener());
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${pattern} never appeared. stdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const check = (): void => {
        const match = pattern.exec(stdout);
        if (match) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`The app exited before ${pattern}. stdout:\n${stdout}\n${stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  const [, port, metricsPort] = await waitFor(/PORT=(\d+) METRICS=(\d+)/);
  return {
    child,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line)),
    exited,
    waitFor,
  };
}

async function stopApp(app: AppProcess | undefined): Promise<void> {
  if (app && app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
}

/** GET with a deadline, so a request the application never answers fails the test. */
async function get(url: string, timeoutMs = 5000): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

async function scrape(app: AppProcess): Promise<Exposition> {
  const response = await fetch(app.metricsUrl, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** Scrapes until `done` holds, for at most `timeoutMs`. */
async function scrapeUntil(
  app: AppProcess,
  done: (exposition: Exposition) => boolean,
  timeoutMs = 20_000,
): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  let last: Exposition | undefined;
  while (Date.now() < deadline) {
    last = await scrape(app);
    try {
      if (done(last)) return last;
    } catch {
      // a series is not there yet
    }
    await sleep(200);
  }
  throw new Error(`Condition not reached; last scrape:\n${JSON.stringify(last?.samples)}`);
}

/**
 * The clients of the Redis on `port` once at least `atLeast` are connected and the list stayed
 * the same for a second (connections open asynchronously, so a third one would show up).
 */
async function settledClients(port: number, atLeast: number): Promise<RedisClientInfo[]> {
  const deadline = Date.now() + 20_000;
  let last = '';
  let since = Date.now();
  let clients: RedisClientInfo[] = [];
  while (Date.now() < deadline) {
    clients = await redisClients(port);
    const ids = clients
      .map((client) => client.id)
      .sort()
      .join(',');
    if (ids !== last) {
      last = ids;
      since = Date.now();
    } else if (clients.length >= atLeast && Date.now() - since >= 1000) {
      return clients;
    }
    await sleep(100);
  }
  throw new Error(`Redis clients did not settle: ${JSON.stringify(clients)}`);
}

const messages = (app: AppProcess, prefix: string): string[] =>
  app
    .logs()
    .map((line) => String(line.msg))
    .filter((msg) => msg.startsWith(prefix));

describeWithRedis('Reliability: Redis killed and restarted under a watched BullMQ queue', () => {
  let redis: RedisHandle | undefined;
  let app: AppProcess | undefined;
  let producer: Queue | undefined;
  let worker: ChildProcess | undefined;

  afterAll(async () => {
    await stopProcess(worker);
    await producer?.close().catch(() => undefined);
    await stopApp(app);
    await redis?.stop();
  });

  it('logs one line per outage, prints nothing unhandled, uses two connections per queue and recovers', async () => {
    redis = await startRedis();
    const { port } = redis;
    app = await startApp({ REDIS_PORT: String(port) });
    const q = { service: 'reliability', queue_name: QUEUE };

    // The queue's own connection and the event reader's (blocked in XREAD), nothing idle.
    const before = await settledClients(port, 2);
    expect(before).toHaveLength(2);
    expect(before.filter((client) => client.cmd === 'xread')).toHaveLength(1);
    await scrapeUntil(app, (e) => sampleValue(e, 'queue_jobs_waiting', q) === 0);

    await redis.stop();
    const outageEnds = Date.now() + 4000;
    while (Date.now() < outageEnds) {
      const e = await scrape(app);
      expect(findSamples(e, 'queue_jobs_waiting', q)).toHaveLength(0);
      expect((await get(app.url('/live'))).status).toBe(200);
      await sleep(250);
    }
    redis = await startRedis({ port });

    await scrapeUntil(app, (e) => sampleValue(e, 'queue_jobs_waiting', q) === 0);
    const after = await settledClients(port, 2);
    expect(after).toHaveLength(2);
    expect(after.filter((client) => client.cmd === 'xread')).toHaveLength(1);

    // Event reading resumed: a job finished after the restart is counted.
    producer = new Queue(QUEUE, { connection: { host: '127.0.0.1', port } });
    producer.on('error', () => undefined);
    await producer.add('ok', {});
    worker = await startWorker(port, QUEUE);
    await scrapeUntil(
      app,
      (e) => sampleValue(e, 'queue_jobs_completed_total', { ...q, job_type: 'ok' }) === 1,
    );

    expect(messages(app, `Cannot read queue "${QUEUE}" from Redis`)).toHaveLength(1);
    expect(messages(app, `Queue "${QUEUE}" is readable again`)).toHaveLength(1);
    expect(sampleValue(await scrape(app), 'queue_metrics_errors_total', q)).toBeGreaterThan(0);
    expect(app.stderr()).toBe('');
  });
});

describe.each([
  ['refuses connections', 'refused'],
  ['accepts connections and never answers', 'hanging'],
] as const)('Reliability: a Sentry DSN that %s', (_title, mode) => {
  const FLUSH_TIMEOUT_MS = 1000;
  const REQUESTS = 30;
  let receiver: HttpReceiver | undefined;
  let app: AppProcess | undefined;

  afterAll(async () => {
    await stopApp(app);
    await receiver?.close();
  });

  it('answers promptly, counts the errors, prints nothing unhandled and shuts down within errors.flushTimeoutMs', async () => {
    let port: number;
    if (mode === 'hanging') {
      receiver = (await HttpReceiver.start()).setDefault({ hang: true });
      port = receiver.port;
    } else {
      port = await closedPort();
    }
    app = await startApp({
      SENTRY_DSN: `http://publickey@127.0.0.1:${port}/1`,
      FLUSH_TIMEOUT_MS: String(FLUSH_TIMEOUT_MS),
    });

    const durations: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const { status, ms } = await get(app.url('/boom'));
      expect(status).toBe(500);
      durations.push(ms);
    }
    // A "does not block" check, far above a normal answer: Sentry is never awaited.
    durations.sort((a, b) => a - b);
    expect(durations[Math.ceil(REQUESTS * 0.99) - 1]).toBeLessThan(1000);
    expect((await get(app.url('/live'))).status).toBe(200);
    if (receiver) await receiver.waitFor(1);

    const e = await scrape(app);
    expect(
      sampleValue(e, 'errors_total', {
        service: 'reliability',
        error_type: 'Error',
        severity: 'error',
      }),
    ).toBe(REQUESTS);

    const sigterm = Date.now();
    app.child.kill('SIGTERM');
    const [, closeMs] = await app.waitFor(/CLOSED (\d+)/, FLUSH_TIMEOUT_MS + 5000);
    expect(Number(closeMs)).toBeLessThan(FLUSH_TIMEOUT_MS + 1500);
    // The process then ends by itself: nothing Sentry left open keeps it alive.
    const exit = await Promise.race([
      app.exited,
      sleep(FLUSH_TIMEOUT_MS + 3000 - (Date.now() - sigterm)).then(() => 'still running'),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(app.stderr()).toBe('');
  });
});
