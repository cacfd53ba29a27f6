import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import Redis from 'ioredis';
import { Keyv } from 'keyv';
import { createMonitoring, type Monitoring } from 'nestjs-observability/core';
import { type Exposition, findSamples, parseExposition } from './utils/exposition';
import { LogCapture } from './utils/log-capture';
import { describeWithRedis, type RedisHandle, startRedis } from './utils/redis-server';

/** The value of the one sample of `name` whose labels include `labels` (0 when none). */
function value(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const found = findSamples(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value ?? 0;
}

const ops = (e: Exposition, cache: string, operation: string, result: string): number =>
  value(e, 'cache_operations_total', { cache, operation, result });

describeWithRedis('cache metrics against a real Redis', () => {
  let redis: RedisHandle;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    const flush = new Redis(redis.port);
    await flush.flushall();
    flush.disconnect();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  function monitor(): Monitoring {
    const monitoring = createMonitoring({
      service: 'cache-test',
      metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
      logging: { stream: new LogCapture() },
    });
    closers.push(() => monitoring.close());
    return monitoring;
  }

  function redisClient(port = redis.port, extra: object = {}): Redis {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, ...extra });
    closers.push(async () => client.disconnect());
    return client;
  }

  async function exposition(monitoring: Monitoring): Promise<Exposition> {
    return parseExposition(await monitoring.getMetrics());
  }

  it('cache-manager 7 on Keyv + Redis: hits, misses, writes and wrap by operation', async () => {
    const monitoring = monitor();
    const store = new KeyvRedis(redis.url);
    const cache = monitoring.cache.instrumentCache(
      createCache({ stores: [new Keyv({ store, namespace: 'app' })] }),
      { name: 'products' },
    );
    closers.push(() => cache.disconnect());

    await cache.set('a', { id: 1 }, 60_000);
    await cache.set('b', 'two');
    for (let i = 0; i < 3; i++) expect(await cache.get('a')).toEqual({ id: 1 });
    expect(await cache.get('missing-1')).toBeUndefined();
    expect(await cache.get('missing-2')).toBeUndefined();
    expect(await cache.mget(['a', 'nope', 'b'])).toEqual([{ id: 1 }, undefined, 'two']);
    expect(await cache.wrap('b', async () => 'recomputed')).toBe('two');
    expect(await cache.wrap('c', async () => 'computed')).toBe('computed');
    await cache.del('a');
    expect(await cache.get('a')).toBeUndefined();

    const e = await exposition(monitoring);
    expect(ops(e, 'products', 'get', 'hit')).toBe(3);
    expect(ops(e, 'products', 'get', 'miss')).toBe(3);
    expect(ops(e, 'products', 'mget', 'hit')).toBe(2);
    expect(ops(e, 'products', 'mget', 'miss')).toBe(1);
    expect(ops(e, 'products', 'wrap', 'hit')).toBe(1);
    expect(ops(e, 'products', 'wrap', 'miss')).toBe(1);
    expect(ops(e, 'products', 'set', 'success')).toBe(2);
    expect(ops(e, 'products', 'del', 'success')).toBe(1);
    expect(ops(e, 'products', 'get', 'error')).toBe(0);
    expect(
      value(e, 'cache_operation_duration_seconds_count', { cache: 'products', operation: 'get' }),
    ).toBe(6);
    expect(e.types.cache_operation_duration_seconds).toBe('histogram');
  });

  it('cache-manager: a store that fails (Keyv throwOnErrors) counts as an error, not a miss', async () => {
    const monitoring = monitor();
    const own = await startRedis();
    // Fail fast when Redis is gone (node-redis would otherwise queue the command).
    const store = new KeyvRedis(
      { url: own.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } },
      { throwOnErrors: true, connectionTimeout: 500 },
    );
    // Keyv hides store errors (a failed read answers undefined) unless it is told to throw;
    // cache-manager then reports the error in its `get` event, which the metrics read.
    const cache = monitoring.cache.instrumentCache(
      createCache({ stores: [new Keyv({ store, throwOnErrors: true })] }),
    );
    closers.push(() => cache.disconnect().catch(() => undefined));
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
    await own.stop();

    expect(await cache.get('k')).toBeUndefined();

    const e = await exposition(monitoring);
    expect(ops(e, 'default', 'get', 'hit')).toBe(1);
    expect(ops(e, 'default', 'get', 'error')).toBe(1);
    expect(ops(e, 'default', 'get', 'miss')).toBe(0);
  });

  it('ioredis: commands by result, reads as hit or miss per key, errors, keys and memory', async () => {
    const monitoring = monitor();
    const client = monitoring.cache.instrumentRedis(redisClient());
    await client.set('session:1', 'alice');
    await client.set('session:2', 'bob', 'EX', 60);
    await client.get('session:1');
    await client.get('session:2');
    await client.get('session:3');
    expect(await client.mget('session:1', 'session:9', 'session:2')).toEqual([
      'alice',
      null,
      'bob',
    ]);
    await client.hset('profile:1', 'name', 'alice');
    expect(await client.hgetall('profile:1')).toEqual({ name: 'alice' });
    expect(await client.hgetall('profile:404')).toEqual({});
    await expect(client.incr('session:1')).rejects.toThrow(/not an integer/);
    await client.del('session:2');

    const e = await exposition(monitoring);
    expect(ops(e, 'redis', 'set', 'success')).toBe(2);
    expect(ops(e, 'redis', 'get', 'hit')).toBe(2);
    expect(ops(e, 'redis', 'get', 'miss')).toBe(1);
    expect(ops(e, 'redis', 'mget', 'hit')).toBe(2);
    expect(ops(e, 'redis', 'mget', 'miss')).toBe(1);
    expect(ops(e, 'redis', 'hgetall', 'hit')).toBe(1);
    expect(ops(e, 'redis', 'hgetall', 'miss')).toBe(1);
    expect(ops(e, 'redis', 'incr', 'error')).toBe(1);
    expect(ops(e, 'redis', 'del', 'success')).toBe(1);
    // Housekeeping (INFO at connect, DBSIZE and INFO at scrape) is not a cache operation.
    expect(findSamples(e, 'cache_operations_total', { operation: 'info' })).toEqual([]);
    expect(findSamples(e, 'cache_operations_total', { operation: 'dbsize' })).toEqual([]);
    // session:1 and profile:1 remain.
    expect(value(e, 'cache_items_total', { cache: 'redis' })).toBe(2);
    expect(value(e, 'cache_size_bytes', { cache: 'redis' })).toBeGreaterThan(100_000);
  });

  it('ioredis: leaves the size of a Redis that is down out of the scrape, and the scrape answers', async () => {
    const monitoring = monitor();
    const own = await startRedis();
    const client = monitoring.cache.instrumentRedis(
      redisClient(own.port, { maxRetriesPerRequest: 0, retryStrategy: () => 50 }),
      { name: 'sessions' },
    );
    await client.set('k', 'v');
    await own.stop();
    await expect(client.get('k')).rejects.toThrow();

    const e = await exposition(monitoring);
    expect(findSamples(e, 'cache_items_total', { cache: 'sessions' })).toEqual([]);
    expect(ops(e, 'sessions', 'set', 'success')).toBe(1);
    expect(ops(e, 'sessions', 'get', 'error')).toBe(1);
  });

  it('track(): times any other cache, undefined as a miss, and rethrows its errors untouched', async () => {
    const monitoring = monitor();
    const store = new Map<string, string>([['a', '1']]);
    const read = (key: string) =>
      monitoring.cache.track('get', async () => store.get(key), { cache: 'memory', read: true });
    expect(await read('a')).toBe('1');
    expect(await read('b')).toBeUndefined();
    const failure = new Error('store down');
    await expect(
      monitoring.cache.track('set', () => Promise.reject(failure), { cache: 'memory' }),
    ).rejects.toBe(failure);

    const e = await exposition(monitoring);
    expect(ops(e, 'memory', 'get', 'hit')).toBe(1);
    expect(ops(e, 'memory', 'get', 'miss')).toBe(1);
    expect(ops(e, 'memory', 'set', 'error')).toBe(1);
    expect(
      value(e, 'cache_operation_duration_seconds_count', { cache: 'memory', operation: 'get' }),
    ).toBe(2);
  });
});
