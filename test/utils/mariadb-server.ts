import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { findBinary } from './prometheus';
import { describeWhenInstalled } from './real-server';

/** A throwaway MariaDB server started for a test on a loopback port. */
export interface MariaDbHandle {
  port: number;
  /** Stops the server, waits for it to exit and removes its data directory. */
  stop(): Promise<void>;
}

function binaries(): { install: string; server: string } | undefined {
  const install = findBinary('mariadb-install-db');
  const server = findBinary('mariadbd');
  return install && server ? { install, server } : undefined;
}

/**
 * For suites that need MariaDB (the MySQL protocol): `describe` when `mariadb-install-db` and
 * `mariadbd` are installed; otherwise fails on CI or skips loudly, by the one rule of
 * `describeWhenInstalled`.
 */
export function describeWithMariaDb(name: string, fn: () => void): void {
  describeWhenInstalled(
    Boolean(binaries()),
    `"${name}" needs MariaDB (apt-get install -y mariadb-server, as .ci/run does).`,
    name,
    fn,
  );
}

/**
 * Creates a data directory (`mariadb-install-db`) in a temporary folder and starts `mariadbd` on
 * a free 127.0.0.1 port without grant tables (any user, no password), then waits until it is
 * ready. Under root it runs with `--user=root`, which mariadbd accepts when given explicitly.
 */
export async function startMariaDb(): Promise<MariaDbHandle> {
  const bins = binaries();
  if (!bins) throw new Error('MariaDB is not installed (apt-get install -y mariadb-server).');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  const dir = mkdtempSync(join(tmpdir(), 'observability-mariadb-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const init = spawnSync(
    bins.install,
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--skip-test-db',
      '--auth-root-authentication-method=normal',
      ...user,
    ],
    { encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${init.stderr || init.stdout}`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      bins.server,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadb.sock')}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M',
        ...user,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (let wait = 0; ; wait++) {
        if (child.exitCode !== null) throw new Error(`mariadbd exited: ${output}`);
        if (output.includes('ready for connections')) break;
        if (wait > 600) throw new Error(`mariadbd did not start on port ${port}: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {
        port,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error;
      child.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
