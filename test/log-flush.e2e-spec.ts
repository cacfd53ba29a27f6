import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { send } from './utils/http-client';

const ROOT = join(__dirname, '..');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  waitFor(text: string): Promise<void>;
}

/** Runs a fixture of test/fixtures/log-flush in its own Node process, its output on pipes. */
function run(fixture: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      `test/fixtures/log-flush/${fixture}`,
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', LOG_SYNC: '', ...env },
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
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close': the process has exited and its pipes are drained.
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      listeners.forEach((listener) => listener());
      resolve({ code, signal });
    }),
  );
  const waitFor = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (stdout.includes(text)) {
          listeners.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          reject(new Error(`exited before "${text}":\n${stdout}\n${stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, waitFor };
}

/** The JSON lines of `output` (other lines, such as PORT=, skipped). */
function jsonLines(output: string): Record<string, any>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe('Buffered log lines survive the end of the process', () => {
  let running: Running | undefined;
  afterEach(async () => {
    const child = running?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await running!.exited;
    }
    running = undefined;
  });

  describe.each(['express', 'fastify'] as const)('a Nest application (%s)', (adapter) => {
    async function startApp(env: Record<string, string> = {}): Promise<number> {
      running = run('nest-app.ts', [adapter], env);
      await running.waitFor('PORT=');
      return Number(/PORT=(\d+)/.exec(running.stdout())![1]);
    }

    it.each([
      ['batched (default)', {}],
      ['synchronous (LOG_SYNC=true)', { LOG_SYNC: 'true' }],
    ])('%s: N requests then SIGTERM gives N request lines', async (_, env) => {
      const port = await startApp(env);
      const N = 300;
      for (let i = 0; i < N; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, () => send(`http://127.0.0.1:${port}`, 'GET', '/users')),
        );
      }
      running!.child.kill('SIGTERM');
      const exit = await running!.exited;
      // Nest's shutdown hooks close the app, then raise the signal again.
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      const lines = jsonLines(running!.stdout()).filter((l) => l.msg === 'request completed');
      expect(lines).toHaveLength(N);
      expect(new Set(lines.map((l) => l.request_id)).size).toBe(N);
      for (const line of lines) {
        expect(line).toMatchObject({
          level: 'info',
          service: 'flush-app',
          req: { method: 'GET', url: '/users' },
          res: { statusCode: 200 },
        });
      }
    });

    it('an exception thrown in a timer: its fatal line is written, the process crashes as Node makes it', async () => {
      const port = await startApp();
      expect((await send(`http://127.0.0.1:${port}`, 'GET', '/crash')).status).toBe(200);
      const exit = await running!.exited;
      expect(exit).toEqual({ code: 1, signal: null });
      // Node's own report of the crash is untouched.
      expect(running!.stderr()).toContain('Error: boom in a timer');
      const lines = jsonLines(running!.stdout());
      // The request line, buffered when the timer threw, is there too.
      expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
      const fatal = lines.filter((l) => l.level === 'fatal');
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({
        msg: 'uncaught exception',
        origin: 'uncaughtException',
        service: 'flush-app',
        err: { type: 'Error', message: 'boom in a timer' },
      });
      expect(fatal[0].err.stack).toContain('boom in a timer');
    });

    it('an unhandled rejection: its fatal line is written, the process crashes as Node makes it', async () => {
      const port = await startApp();
      await send(`http://127.0.0.1:${port}`, 'GET', '/reject');
      const exit = await running!.exited;
      expect(exit).toEqual({ code: 1, signal: null });
      expect(running!.stderr()).toContain('nobody waits for me');
      const fatal = jsonLines(running!.stdout()).filter((l) => l.level === 'fatal');
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({
        msg: 'unhandled rejection',
        origin: 'unhandledRejection',
        err: { type: 'Error', message: 'nobody waits for me' },
      });
    });

    it('process.exit(0) right after logging: the line is written', async () => {
      const port = await startApp();
      await send(`http://127.0.0.1:${port}`, 'GET', '/exit');
      const exit = await running!.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const lines = jsonLines(running!.stdout());
      expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'about to exit')).toEqual([
        expect.objectContaining({ level: 'info', step: 'last', service: 'flush-app' }),
      ]);
    });
  });

  describe('a createMonitoring() worker', () => {
    const N = 1000;
    const jobs = (): number[] =>
      jsonLines(running!.stdout())
        .filter((l) => l.msg === 'job done')
        .map((l) => l.job as number);
    const all = Array.from({ length: N }, (_, i) => i);

    it('N lines then SIGTERM (the worker closes the monitoring): N lines, in order', async () => {
      running = run('worker.ts', [String(N), 'sigterm']);
      await running.waitFor('LOGGED');
      running.child.kill('SIGTERM');
      const exit = await running.exited;
      expect({ exit, stderr: running.stderr() }).toEqual({
        exit: { code: 0, signal: null },
        stderr: '',
      });
      expect(jobs()).toEqual(all);
    });

    it('N lines then process.exit(0) at once: N lines, in order', async () => {
      running = run('worker.ts', [String(N), 'exit']);
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(jobs()).toEqual(all);
    });

    it('N lines then the event loop empties after close(): N lines, exit code 0', async () => {
      running = run('worker.ts', [String(N), 'drain']);
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(jobs()).toEqual(all);
    });

    it.each([
      ['throw', 'uncaught exception', 'worker crashed'],
      ['reject', 'unhandled rejection', 'worker rejection'],
    ])(
      'N lines then %s in a timer: N lines, the fatal line, exit code 1',
      async (end, msg, message) => {
        running = run('worker.ts', [String(N), end]);
        expect(await running.exited).toEqual({ code: 1, signal: null });
        expect(running.stderr()).toContain(message);
        expect(jobs()).toEqual(all);
        const fatal = jsonLines(running.stdout()).filter((l) => l.level === 'fatal');
        expect(fatal).toEqual([
          expect.objectContaining({ msg, service: 'flush-worker', err: expect.any(Object) }),
        ]);
        expect(fatal[0].err.message).toBe(message);
      },
    );
  });
});
