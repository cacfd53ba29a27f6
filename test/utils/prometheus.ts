import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { findBinary } from './real-server';

/** The loud-skip rule lives in one helper for every suite (see real-server.ts). */
export { describeWithBinaries, findBinary } from './real-server';

/** Outcome of a finished command. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` (stdin from `input`) and resolves when it exits, whatever its code. */
export function runTool(
  file: string,
  args: string[],
  options: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** One series of an instant vector returned by `/api/v1/query`. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/** The answer of `/api/v1/query`: either a result or Prometheus' error. */
export type QueryAnswer =
  | { status: 'success'; resultType: string; samples: VectorSample[]; scalar?: number }
  | { status: 'error'; errorType: string; error: string };

/**
 * A real Prometheus server (the `prometheus` binary) on a free loopback port, with its own
 * temporary data folder, started from a configuration file.
 */
export class PrometheusServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dataDir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Starts Prometheus with `configFile` and resolves once it answers `/-/ready`; on `port` when
   * given (an application configured with its URL before it starts), else on a free one.
   */
  static async start(configFile: string, port?: number): Promise<PrometheusServer> {
    port ??= await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'prometheus-data-'));
    const child = spawn(
      findBinary('prometheus') ?? 'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, `http://127.0.0.1:${port}`, dataDir);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`Prometheus exited with ${child.exitCode}:\n${server.output}`);
      }
      try {
        const response = await fetch(`${server.url}/-/ready`);
        if (response.status === 200) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`Prometheus was not ready within 30s:\n${server.output}`);
      }
      await sleep(100);
    }
  }

  /** What Prometheus logged so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** GETs a JSON API path, e.g. `/api/v1/rules`. */
  async api<T = any>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    return (await response.json()) as T;
  }

  /** Evaluates `expr` as an instant query (at `time`, a Unix time in seconds, or now). */
  async query(expr: string, time?: number): Promise<QueryAnswer> {
    const body = new URLSearchParams({ query: expr });
    if (time !== undefined) body.set('time', String(time));
    const response = await fetch(`${this.url}/api/v1/query`, { method: 'POST', body });
    const json = (await response.json()) as any;
    if (json.status !== 'success') {
      return { status: 'error', errorType: json.errorType, error: json.error };
    }
    const { resultType, result } = json.data;
    if (resultType === 'vector') {
      return {
        status: 'success',
        resultType,
        samples: (result as { metric: Record<string, string>; value: [number, string] }[]).map(
          (s) => ({ metric: s.metric, value: Number(s.value[1]) }),
        ),
      };
    }
    if (resultType === 'scalar') {
      return { status: 'success', resultType, samples: [], scalar: Number(result[1]) };
    }
    return { status: 'success', resultType, samples: [] };
  }

  /** The value of a query that must return exactly one series. */
  async value(expr: string): Promise<number> {
    const answer = await this.query(expr);
    if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error}`);
    if (answer.samples.length !== 1) {
      throw new Error(`${expr}: expected one series, got ${JSON.stringify(answer.samples)}`);
    }
    return answer.samples[0].value;
  }

  /**
   * Polls `expr` until `accept(samples)` holds, at most `timeoutMs`; throws with the last answer.
   */
  async waitFor(
    expr: string,
    accept: (samples: VectorSample[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<VectorSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: QueryAnswer | undefined;
    for (;;) {
      last = await this.query(expr);
      if (last.status === 'success' && accept(last.samples)) return last.samples;
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${expr}; last answer ${JSON.stringify(last)}`);
      }
      await sleep(200);
    }
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL after 10s) and deletes its data. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
