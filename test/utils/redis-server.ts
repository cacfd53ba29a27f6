import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port';
import { describeWithBinaries } from './real-server';

/** A `redis-server` started for a test on a loopback port. */
export interface RedisHandle {
  port: number;
  url: string;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** For suites that need Redis: `describeWithBinaries(['redis-server'], name, fn)`. */
export function describeWithRedis(name: string, fn: () => void): void {
  describeWithBinaries(['redis-server'], name, fn);
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
 * Sends one inline command over a raw socket and resolves with its bulk-string reply (the
 * text of `CLIENT LIST`, `INFO clients`), so tests need no `redis-cli`.
 */
export function redisBulkReply(port: number, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const done = (error: Error | undefined, text = ''): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(text);
    };
    const timer = setTimeout(() => done(new Error(`"${command}" got no answer`)), timeoutMs);
    socket.once('error', (error) => done(error));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const header = received.indexOf('\r\n');
      if (header < 0) return;
      const first = received.subarray(0, header).toString();
      if (!first.startsWith('$')) return done(new Error(`"${command}" answered ${first}`));
      const length = Number(first.slice(1));
      if (received.length >= header + 2 + length) {
        done(undefined, received.subarray(header + 2, header + 2 + length).toString());
      }
    });
  });
}

/** One line of `CLIENT LIST`, as its `key=value` fields (`name`, `cmd`, `addr`, ...). */
export type RedisClientInfo = Record<string, string>;

/** The clients connected to the Redis on `port`, without the connection that asks. */
export async function redisClients(port: number): Promise<RedisClientInfo[]> {
  const text = await redisBulkReply(port, 'CLIENT LIST');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((field) => {
            const eq = field.indexOf('=');
            return [field.slice(0, eq), field.slice(eq + 1)];
          }),
      ),
    )
    .filter((client) => !client.cmd?.startsWith('client'));
}

/**
 * Starts `redis-server` without persistence on a free 127.0.0.1 port and waits until it answers
 * PING. Tries a few ports in case another process grabs the chosen one first. With `port`, it
 * starts on that port (a Redis restarted where its clients expect it) and retries for a moment
 * while the port is still being released.
 */
export async function startRedis(options: { port?: number } = {}): Promise<RedisHandle> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port ? 20 : 3); attempt++) {
    if (options.port && attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    const port = options.port ?? (await freePort());
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
