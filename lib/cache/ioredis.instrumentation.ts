import { performance } from 'node:perf_hooks';
import type { CacheRecorder } from './cache-metrics.types';

/** The parts of an ioredis client (or cluster) used here. @internal */
export interface RedisLike {
  status?: string;
  sendCommand: (command: RedisCommandLike, ...rest: unknown[]) => unknown;
  dbsize?: () => Promise<number>;
  info?: (section: string) => Promise<string>;
}

/** The parts of an ioredis `Command` read here. */
interface RedisCommandLike {
  name?: unknown;
  args?: unknown[];
  promise?: Promise<unknown>;
}

const INSTRUMENTED = Symbol.for('nestjs-observability.ioredis');

/** Commands that read keys: their reply tells a hit from a miss. */
const SINGLE_READS = new Set(['get', 'getex', 'getdel', 'hget', 'hgetall', 'json.get']);
const MULTI_READS = new Set(['mget', 'hmget']);
/** Connection housekeeping and the size reads of the scrape: not cache operations. */
const IGNORED = new Set([
  'info',
  'select',
  'client',
  'auth',
  'hello',
  'ping',
  'quit',
  'readonly',
  'cluster',
  'command',
  'dbsize',
  'memory',
  'config',
  'echo',
]);

function isMissing(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  // `hgetall` of a missing key: an empty object (ioredis) or array (raw reply).
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return Object.keys(value).length === 0;
  return false;
}

/**
 * Wraps `redis.sendCommand`, through which ioredis sends every command of a client. A command
 * sent again by ioredis (its offline queue after a reconnect) is counted once. `false` when the
 * client was instrumented already. @internal
 */
export function instrumentIoRedis(redis: object, cache: string, recorder: CacheRecorder): boolean {
  const client = redis as RedisLike & { [INSTRUMENTED]?: boolean };
  if (client[INSTRUMENTED]) return false;
  if (typeof client.sendCommand !== 'function') {
    throw new TypeError('the object has no sendCommand(); is it an ioredis client?');
  }
  Object.defineProperty(client, INSTRUMENTED, { value: true });
  const seen = new WeakSet<object>();
  const original = client.sendCommand;
  client.sendCommand = function instrumentedSendCommand(this: unknown, command, ...rest) {
    const result = original.call(this, command, ...rest);
    try {
      const name = typeof command?.name === 'string' ? command.name.toLowerCase() : undefined;
      if (name && !IGNORED.has(name) && !seen.has(command) && command.promise) {
        seen.add(command);
        const started = performance.now();
        command.promise.then(
          (value) => {
            recorder.observe(cache, name, (performance.now() - started) / 1000);
            if (MULTI_READS.has(name) && Array.isArray(value)) {
              const misses = value.filter(isMissing).length;
              recorder.count(cache, name, 'hit', value.length - misses);
              recorder.count(cache, name, 'miss', misses);
            } else if (SINGLE_READS.has(name)) {
              recorder.count(cache, name, isMissing(value) ? 'miss' : 'hit');
            } else {
              recorder.count(cache, name, 'success');
            }
          },
          () => {
            recorder.observe(cache, name, (performance.now() - started) / 1000);
            recorder.count(cache, name, 'error');
          },
        );
      }
    } catch {
      // recording never breaks a command
    }
    return result;
  };
  return true;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
  });
  return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Reads the number of keys (`DBSIZE`) and the memory used (`INFO memory`) of a ready Redis, in
 * at most `timeoutMs`; `undefined` when it is not connected. Never rejects. @internal
 */
export async function readRedisSize(
  redis: RedisLike,
  timeoutMs: number,
): Promise<{ items?: number; bytes?: number } | undefined> {
  // Not ready: commands would wait in ioredis's offline queue; leave the scrape alone.
  if (redis.status !== undefined && redis.status !== 'ready') return undefined;
  if (typeof redis.dbsize !== 'function' || typeof redis.info !== 'function') return undefined;
  const [items, info] = await Promise.all([
    withTimeout(redis.dbsize(), timeoutMs),
    withTimeout(redis.info('memory'), timeoutMs),
  ]);
  const used = typeof info === 'string' ? /^used_memory:(\d+)/m.exec(info) : null;
  return {
    items: typeof items === 'number' ? items : undefined,
    bytes: used ? Number(used[1]) : undefined,
  };
}
