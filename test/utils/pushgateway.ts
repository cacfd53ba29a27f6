import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';
import { describeWithBinaries, findBinary } from './prometheus';

const BINARY = 'prometheus-pushgateway';

/** The Pushgateway binary, or `undefined` when it is not installed. */
export const pushgatewayBinary = (): string | undefined => findBinary(BINARY);

/** `describe(name, fn)` when the Pushgateway and Prometheus are installed (see describeWithBinaries). */
export function describeWithPushgateway(name: string, fn: () => void): void {
  describeWithBinaries([BINARY, 'prometheus'], name, fn);
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
