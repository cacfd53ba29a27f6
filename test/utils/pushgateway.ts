import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';
import { findBinary } from './prometheus';

const BINARY = 'prometheus-pushgateway';

/** The Pushgateway binary: on `PATH`, else where the Debian package puts it, else `undefined`. */
export function pushgatewayBinary(): string | undefined {
  const onPath = findBinary(BINARY);
  if (onPath) return onPath;
  try {
    accessSync(`/usr/bin/${BINARY}`, constants.X_OK);
    return `/usr/bin/${BINARY}`;
  } catch {
    return undefined;
  }
}

/**
 * `describe(name, fn)` when the Pushgateway and Prometheus binaries are installed. Otherwise the
 * suite is skipped with a loud warning, except under `CI=true`, where it fails: CI installs them
 * (`.ci/run`), and a suite that silently skips there would prove nothing.
 */
export function describeWithPushgateway(name: string, fn: () => void): void {
  const missing = [
    pushgatewayBinary() ? undefined : `${BINARY} (Debian package "${BINARY}")`,
    findBinary('prometheus') ? undefined : 'prometheus (Debian package "prometheus")',
  ].filter((binary): binary is string => binary !== undefined);
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const message =
    `${missing.join(', ')} not found: "${name}" needs them ` +
    `(apt-get install -y ${BINARY} prometheus, as .ci/run does).`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its binaries installed', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  describe.skip(name, fn);
}

/**
 * A real Prometheus Pushgateway (the Debian `prometheus-pushgateway` binary) on a free
 * loopback port. It keeps pushed groups in memory only: the Debian default persistence file
 * under /var/lib is neither read nor written.
 */
export class PushgatewayServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Starts the Pushgateway and resolves once `GET /-/ready` answers 200. */
  static async start(): Promise<PushgatewayServer> {
    const binary = pushgatewayBinary();
    if (!binary) throw new Error(`${BINARY} is not installed (apt-get install -y ${BINARY}).`);
    const port = await freePort();
    const child = spawn(
      binary,
      [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PushgatewayServer(child, port);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`The Pushgateway exited with ${child.exitCode}:\n${server.output}`);
      }
      try {
        const response = await fetch(`${server.url}/-/ready`);
        if (response.status === 200) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`The Pushgateway was not ready within 15s:\n${server.output}`);
      }
      await sleep(100);
    }
  }

  /** Base URL, e.g. `http://127.0.0.1:9091`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `host:port`, for a Prometheus `static_configs` target. */
  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** What the Pushgateway logged so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** The exposition text of `GET /metrics`: every pushed group plus the gateway's own metrics. */
  async metricsText(): Promise<string> {
    const response = await fetch(`${this.url}/metrics`);
    if (response.status !== 200) {
      throw new Error(`GET /metrics answered ${response.status}:\n${await response.text()}`);
    }
    return response.text();
  }

  /** Stops the Pushgateway (SIGTERM, then SIGKILL after 5s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}
