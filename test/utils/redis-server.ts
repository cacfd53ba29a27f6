import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A `redis-server` started for a test on a free loopback port. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `describe`, or `describe.skip` with a loud message when `redis-server` is missing. Under
 * `CI=true` a missing binary fails the suite instead (install it: `apt-get install -y redis-server`).
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (hasRedisServer()) return describe(name, body);
  const message = `redis-server is not installed: "${name}" needs it (apt-get install -y redis-server).`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has redis-server', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED: ${message}`);
  describe.skip(name, body);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on port ${port}:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${output}`));
    });
  });
}

/** Starts `redis-server` on a free loopback port, without persistence. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown;
  // The port is free when picked but may be taken before redis binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(port);
      return {
        host: '127.0.0.1',
        port,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
