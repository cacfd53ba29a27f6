import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port';

/** A `redis-server` started for a test on a loopback port. */
export interface RedisHandle {
  port: number;
  url: string;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * For suites that need Redis: `describe` when `redis-server` is installed; otherwise skips with
 * a loud message, except on CI (`CI=true`) where a missing binary fails the suite.
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (hasRedisServer()) return describe(name, fn);
  if (process.env.CI === 'true') {
    return describe(name, () => {
      it('needs redis-server', () => {
        throw new Error('redis-server is not installed (apt-get install -y redis-server).');
      });
    });
  }
  console.warn(
    `\n!!! SKIPPED "${name}": redis-server is not installed (apt-get install -y redis-server).\n`,
  );
  // Local runs without the binary skip loudly; under CI=true the branch above fails instead.
  describe.skip(name, fn);
}

/** Sends PING over a raw socket; resolves `true` on `+PONG`. */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting until ${what}.`);
}

/**
 * Starts `redis-server` without persistence on a free 127.0.0.1 port and waits until it answers
 * PING. Tries a few ports in case another process grabs the chosen one first.
 */
export async function startRedis(): Promise<RedisHandle> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitUntil(async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        return pingRedis(port);
      }, `redis-server answers on port ${port}`);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    } catch (error) {
      lastError = error;
      child.kill('SIGKILL');
      await exited;
    }
  }
  throw lastError;
}
