import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './http-receiver';
import { describeWithBinaries, findBinary } from './real-server';

const BINARY = 'prometheus-alertmanager';

/**
 * `describe(name, fn)` when Alertmanager is installed (Debian package `prometheus-alertmanager`);
 * otherwise fails or skips loudly by the rule of `describeWithBinaries`.
 */
export function describeWithAlertmanager(name: string, fn: () => void): void {
  describeWithBinaries([BINARY], name, fn);
}

/**
 * A real Alertmanager on a loopback port, with a config written here (one route to a null
 * receiver: we assert through its API, not its notifications).
 */
export class Alertmanager {
  private constructor(
    private readonly process: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<Alertmanager> {
    const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
      [
        'route:',
        '  receiver: "null"',
        '  group_wait: 1s',
        'receivers:',
        '  - name: "null"',
        '',
      ].join('\n'),
    );
    const port = await closedPort();
    const child = spawn(
      findBinary(BINARY) ?? BINARY,
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const manager = new Alertmanager(child, dir, port);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await fetch(`${manager.url}/-/ready`);
        if (res.ok) return manager;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        await manager.stop();
        throw new Error(`Alertmanager did not start:\n${stderr.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `GET /api/v2/alerts`. */
  async alerts(): Promise<any[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`);
    return (await res.json()) as any[];
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process.once('exit', resolve));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
