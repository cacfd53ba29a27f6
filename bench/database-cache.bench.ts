/**
 * `npm run bench:database-cache`: what the database and cache instrumentation adds to a query
 * and to a cache call.
 *
 * Against a real PostgreSQL and Redis started for the run (the test helpers), in interleaved
 * rounds, the wall time of N sequential operations through a bare client and through an
 * instrumented one (its own `Monitoring`), and their ratio (median of the paired ratios):
 *
 * - pg: `pool.query('SELECT $1::int AS n', [i])` on a pool of 4.
 * - ioredis: `redis.get(key)` (hits).
 * - cache-manager 7 on an in-memory Keyv: `cache.get(key)`, no network, so the ratio shows the
 *   CPU cost of the wrapper itself.
 *
 * Then, with no I/O at all, the CPU cost of recording one query (`start()` + `done()`: SQL
 * summary from the cache, histogram, span no-op) in ns per query.
 *
 * Environment (optional): BENCH_ROUNDS=5, BENCH_N=2000 (pg and Redis), BENCH_CACHE_N=100000.
 */
import { createCache } from 'cache-manager';
import Redis from 'ioredis';
import { Keyv } from 'keyv';
import { Pool } from 'pg';
import { createMonitoring } from '../lib/core';
import { startPostgres } from '../test/utils/postgres-server';
import { startRedis } from '../test/utils/redis-server';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const N = Number(process.env.BENCH_N ?? 2000);
const CACHE_N = Number(process.env.BENCH_CACHE_N ?? 100_000);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function time(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function compare(
  name: string,
  n: number,
  bare: (i: number) => Promise<unknown>,
  instrumented: (i: number) => Promise<unknown>,
): Promise<void> {
  await time(Math.min(n, 500), bare);
  await time(Math.min(n, 500), instrumented);
  const bareMs: number[] = [];
  const instrumentedMs: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % 2 === 0;
    const a = first ? await time(n, bare) : 0;
    const b = await time(n, instrumented);
    const c = first ? 0 : await time(n, bare);
    const bareRound = first ? a : c;
    bareMs.push(bareRound);
    instrumentedMs.push(b);
    ratios.push(b / bareRound);
  }
  const us = (ms: number): string => ((ms * 1000) / n).toFixed(1);
  console.log(
    `| ${name} | ${n} | ${us(median(bareMs))} | ${us(median(instrumentedMs))} | ${median(ratios).toFixed(3)} |`,
  );
}

async function main(): Promise<void> {
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const monitoring = createMonitoring({
    service: 'bench',
    metrics: { enabled: true, port: 0, defaultMetrics: false },
    logging: { level: 'error' },
  });
  try {
    console.log(`node ${process.version}, ${ROUNDS} rounds, median of each`);
    console.log('| case | ops | bare µs/op | instrumented µs/op | ratio |');
    console.log('| :-- | --: | --: | --: | --: |');

    const barePool = new Pool({ connectionString: pg.url, max: 4 });
    const pool = monitoring.database.instrumentPg(new Pool({ connectionString: pg.url, max: 4 }), {
      name: 'bench',
    });
    await compare(
      'pg `pool.query()`',
      N,
      (i) => barePool.query('SELECT $1::int AS n', [i]),
      (i) => pool.query('SELECT $1::int AS n', [i]),
    );
    await Promise.all([barePool.end(), pool.end()]);

    const bareRedis = new Redis(redis.port);
    const client = monitoring.cache.instrumentRedis(new Redis(redis.port));
    await bareRedis.set('bench', 'value');
    await compare(
      'ioredis `get()`',
      N,
      () => bareRedis.get('bench'),
      () => client.get('bench'),
    );
    bareRedis.disconnect();
    client.disconnect();

    const bareCache = createCache({ stores: [new Keyv()] });
    const cache = monitoring.cache.instrumentCache(createCache({ stores: [new Keyv()] }));
    await bareCache.set('k', 'v');
    await cache.set('k', 'v');
    await compare(
      'cache-manager `get()` (in-memory Keyv)',
      CACHE_N,
      () => bareCache.get('k'),
      () => cache.get('k'),
    );

    const sql = 'SELECT "u"."id", "u"."email" FROM "users" "u" WHERE "u"."id" = $1';
    const record = (n: number): number => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) monitoring.database.start({ system: 'postgresql', sql })();
      return Number(process.hrtime.bigint() - started) / n;
    };
    record(100_000);
    const ns = median(Array.from({ length: ROUNDS }, () => record(200_000)));
    console.log(`\nrecording one query without I/O (start + done): ${ns.toFixed(0)} ns`);
  } finally {
    await monitoring.close();
    await Promise.all([pg.stop(), redis.stop()]);
  }
}

void main();
