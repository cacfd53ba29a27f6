import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port';
import { describeWhenInstalled } from './real-server';

/** A throwaway PostgreSQL cluster started for a test on a loopback port. */
export interface PostgresHandle {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  /** Stops the server, waits for it to exit and removes its data directory. */
  stop(): Promise<void>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory holding `initdb` and `postgres`: on the PATH, else Debian's
 * `/usr/lib/postgresql/<version>/bin` (the newest), else `undefined`.
 */
export function postgresBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'initdb')) && executable(join(dir, 'postgres'))) return dir;
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = `/usr/lib/postgresql/${version}/bin`;
      if (executable(join(dir, 'initdb')) && executable(join(dir, 'postgres'))) return dir;
    }
  } catch {
    // no Debian PostgreSQL
  }
  return undefined;
}

/**
 * For suites that need PostgreSQL: `describe` when `initdb` and `postgres` are installed;
 * otherwise fails on CI or skips loudly, by the one rule of `describeWhenInstalled`.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  describeWhenInstalled(
    postgresBinDir() !== undefined,
    `"${name}" needs PostgreSQL (apt-get install -y postgresql, as .ci/run does).`,
    name,
    fn,
  );
}

/** PostgreSQL refuses to run as root: as root, run it as `postgres` (Debian's) or `nobody`. */
function runAsUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', user], { stdio: 'ignore' }).status === 0) return user;
  }
  throw new Error('Running as root and neither a "postgres" nor a "nobody" user exists.');
}

function command(binary: string, args: string[], user: string | undefined): [string, string[]] {
  return user ? ['runuser', ['-u', user, '--', binary, ...args]] : [binary, args];
}

/** Sends SIGINT to the postmaster (its pid is the first line of `postmaster.pid`). */
function signalPostmaster(data: string, child: ChildProcess): void {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) {
      process.kill(pid, 'SIGINT');
      return;
    }
  } catch {
    // no pid file: not started yet
  }
  child.kill('SIGINT');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Creates a cluster in a temporary directory (`initdb`, trust authentication, no fsync) and starts
 * `postgres` on a free 127.0.0.1 port with no Unix socket, then waits until it accepts
 * connections and answers queries. With `port`, starts on that port (a server restarted where
 * its clients expect it). As root, the cluster belongs to and runs as a non-root user.
 */
export async function startPostgres(options: { port?: number } = {}): Promise<PostgresHandle> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql).');
  const user = runAsUser();
  const dir = mkdtempSync(join(tmpdir(), 'observability-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const init = spawnSync(
    ...command(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale'],
      user,
    ),
    { encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port ? 20 : 3); attempt++) {
    if (options.port && attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    const port = options.port ?? (await freePort());
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      '',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'max_connections=50',
    ];
    const child: ChildProcess = spawn(...command(join(bin, 'postgres'), args, user), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (let wait = 0; ; wait++) {
        if (child.exitCode !== null) throw new Error(`postgres exited: ${output}`);
        if (output.includes('ready to accept connections') && (await accepts(port))) break;
        if (wait > 200) throw new Error(`postgres did not start on port ${port}: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {
        port,
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        stop: async () => {
          // SIGINT: "fast" shutdown, which disconnects clients instead of waiting for them. Sent
          // to the postmaster itself: `runuser` does not forward it.
          if (child.exitCode === null && child.signalCode === null) {
            signalPostmaster(data, child);
          }
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error;
      signalPostmaster(data, child);
      await exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
