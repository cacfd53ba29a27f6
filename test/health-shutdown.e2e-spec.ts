import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { closedPort, HttpReceiver } from './utils/http-receiver';

const ROOT = join(__dirname, '..');

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(text: string): Promise<void>;
}

/** Starts the fixture app in its own Node process and waits until it listens. */
async function startApp(
  adapter: 'express' | 'fastify',
  graceMs: number,
  env: Record<string, string> = {},
): Promise<Running> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'test/fixtures/health-app/main.ts',
      adapter,
    ],
    { cwd: ROOT, env: { ...process.env, ...env, GRACE_MS: String(graceMs) }, stdio: 'pipe' },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      listeners.forEach((listener) => listener());
      resolve({ code, signal });
    }),
  );
  const waitFor = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`"${text}" never appeared. Output:\n${output}`));
      }, 20000);
      const check = (): void => {
        if (output.includes(text)) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`The app exited before "${text}". Output:\n${output}`));
        }
      };
      listeners.add(check);
      check();
    });
  await waitFor('PORT=');
  const port = Number(/PORT=(\d+)/.exec(output)?.[1]);
  return { child, port, output: () => output, exited, waitFor };
}

describe.each(['express', 'fastify'] as const)('Graceful shutdown on SIGTERM (%s)', (adapter) => {
  let app: Running | undefined;
  afterEach(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    app = undefined;
  });

  it('flips /ready to 503 at once, keeps /live 200, finishes in-flight requests, then exits', async () => {
    app = await startApp(adapter, 3000);
    const url = (path: string) => `http://127.0.0.1:${app!.port}${path}`;
    const status = async (path: string) => (await fetch(url(path))).status;

    expect(await status('/ready')).toBe(200);
    expect(await status('/live')).toBe(200);

    const slow = fetch(url('/slow?ms=1000')).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
    await app.waitFor('SLOW_STARTED');
    app.child.kill('SIGTERM');

    let ready = 200;
    for (let attempt = 0; attempt < 100 && ready === 200; attempt++) {
      ready = await status('/ready');
      if (ready === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ready).toBe(503);
    const readyBody = (await (await fetch(url('/ready'))).json()) as { status: string };
    expect(readyBody.status).toBe('shutting_down');
    expect(await status('/live')).toBe(200);

    expect(await slow).toEqual({ status: 200, body: 'done' });

    const exit = await app.exited;
    // Nest re-raises the signal after closing: the process ends by SIGTERM, not process.exit.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app.output()).toContain(
      'Received SIGTERM: /ready now answers 503; the application keeps serving for 3000 ms (health.shutdownGracePeriodMs) before it closes.',
    );
    await expect(fetch(url('/live'))).rejects.toThrow();
  });

  /** Sends SIGTERM and waits until `/ready` answers 503: the grace period has begun. */
  async function terminate(running: Running): Promise<void> {
    running.child.kill('SIGTERM');
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await fetch(`http://127.0.0.1:${running.port}/ready`)).status === 503) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('/ready never answered 503');
  }

  it('delivers an alert raised during the grace period to a live receiver before it exits', async () => {
    const receiver = await HttpReceiver.start();
    try {
      app = await startApp(adapter, 1500, { ALERT_WEBHOOK_URL: receiver.url('/hook') });
      await terminate(app);
      const raised = await fetch(`http://127.0.0.1:${app.port}/raise`);
      expect(raised.status).toBe(200);
      const [request] = await receiver.waitFor(1, 1000);
      expect(app.child.exitCode).toBeNull();
      expect(request.json.alerts[0]).toMatchObject({ name: 'RaisedDuringGrace' });
      expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
    } finally {
      await receiver.close();
    }
  });

  it('logs an alert raised during the grace period as lost when the receiver stays down past the flush deadline', async () => {
    const port = await closedPort();
    app = await startApp(adapter, 500, {
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
      ALERT_FLUSH_MS: '300',
    });
    await terminate(app);
    expect((await fetch(`http://127.0.0.1:${app.port}/raise`)).status).toBe(200);
    expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app.output()).toContain(
      '1 alert deliveries were still pending after 300 ms ("alerting.delivery.shutdownTimeoutMs") at shutdown and were dropped.',
    );
  });
});
