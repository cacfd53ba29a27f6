import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The environment without any tracing or Sentry setting of the developer's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OTEL_') && !key.startsWith('SENTRY_')) env[key] = value;
  }
  return env;
}

/**
 * The traced fixture application (`test/fixtures/tracing-app/main.ts`) in its own process, as
 * a user runs one: OpenTelemetry patches modules once per process, before they load.
 */
export class TracedApp {
  readonly output: string[] = [];
  url = '';
  metricsUrl = '';
  /** Every field of the `READY` line (a fixture's other servers). */
  ready: Record<string, string> = {};
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Starts the app with `env` (`script`: another fixture app printing the same `READY` line);
   * resolves once it listens, or rejects with its output.
   */
  static async start(
    env: Record<string, string>,
    script = 'test/fixtures/tracing-app/main.ts',
  ): Promise<TracedApp> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', script], {
      cwd: join(__dirname, '..', '..'),
      env: { ...cleanEnv(), ...env },
      stdio: 'pipe',
    });
    const app = new TracedApp(child);
    let buffered = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let end: number;
        while ((end = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          app.output.push(line);
          if (line.startsWith('READY ')) {
            app.ready = JSON.parse(line.slice(6));
            app.url = app.ready.url;
            app.metricsUrl = app.ready.metricsUrl;
            resolve();
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => app.output.push(chunk.toString()));
      void app.exited.then((code) =>
        reject(new Error(`The traced app exited (${code}):\n${app.output.join('\n')}`)),
      );
    });
    await ready;
    return app;
  }

  /** Runs the app with `env` until it exits; resolves with its exit code and output. */
  static async run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'test/fixtures/tracing-app/main.ts'],
      { cwd: join(__dirname, '..', '..'), env: { ...cleanEnv(), ...env }, stdio: 'pipe' },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY ')) child.kill('SIGTERM');
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (c) => resolve(c)),
    );
    return { code, output };
  }

  /** The JSON log lines printed so far. */
  get logs(): Array<Record<string, any>> {
    return this.output.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  }

  /**
   * The first log line `match` accepts, waiting for it: log lines reach standard output in
   * batches (every 100 ms), so a line may arrive after the response it describes.
   */
  async waitForLog(
    match: (line: Record<string, any>) => boolean,
    timeoutMs = 5_000,
  ): Promise<Record<string, any> | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** SIGTERM: the app stops tracing, closes and exits; resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
