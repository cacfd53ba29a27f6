import { performance } from 'node:perf_hooks';
import type { Gauge } from 'prom-client';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { CacheMessages } from './cache.messages';
import type { CacheResult } from './cache-metrics.types';
import type { ResolvedCacheMetricsOptions } from './cache-options.interface';
import { type RedisLike, instrumentIoRedis, readRedisSize } from './ioredis.instrumentation';
import { instrumentCacheManager } from './cache-manager.instrumentation';

/** Options of one instrumented cache. */
export interface CacheInstrumentOptions {
  /**
   * The `cache` label of its series.
   * @default 'default' for `instrumentCache()`, 'redis' for `instrumentRedis()`
   */
  name?: string;
}

/**
 * Cache metrics of one monitoring instance: `cache_operations_total` by cache, operation and
 * result (`hit`/`miss` for reads, `success` for writes, `error`), `cache_operation_duration_seconds`,
 * and for Redis, at scrape time, `cache_items_total` (DBSIZE) and `cache_size_bytes`
 * (`used_memory`). The hit ratio is `hit / (hit + miss)`; the generated recording rule
 * `cache:hit_ratio:rate5m` computes it per cache. Keys and values never reach a label.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class CacheSetup implements OnModuleInit {
 *   constructor(
 *     @Inject(CACHE_MANAGER) private readonly cache: Cache,
 *     private readonly metrics: CacheMetricsService,
 *   ) {}
 *   onModuleInit(): void {
 *     this.metrics.instrumentCache(this.cache);
 *   }
 * }
 * ```
 */
export class CacheMetricsService {
  private instruments: { operations: GuardedCounter; duration: GuardedHistogram } | undefined;
  private sizeGauges = false;
  private readonly logger: DiagnosticLogger;
  private readonly redis = new Map<string, RedisLike>();
  /** Bound series, by cache, operation (and result): the hot path checks no label per call. */
  private readonly counters = new Map<string, { inc(value?: number): void }>();
  private readonly histograms = new Map<string, { observe(value: number): void }>();

  /** @internal */
  constructor(
    private readonly options: ResolvedCacheMetricsOptions,
    private readonly registry: MetricsRegistry,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Observability');
  }

  /** The metrics, created on first use: an application without a cache exposes none. */
  private get metrics(): { operations: GuardedCounter; duration: GuardedHistogram } {
    this.instruments ??= {
      operations: this.registry.fromCatalog(MetricCatalog.cacheOperations) as GuardedCounter,
      duration: this.registry.fromCatalog(MetricCatalog.cacheOperationDuration) as GuardedHistogram,
    };
    return this.instruments;
  }

  /** `cache_items_total` and `cache_size_bytes`, once a Redis is instrumented. */
  private watchSizes(): void {
    if (this.sizeGauges) return;
    this.sizeGauges = true;
    // One read of every Redis per scrape, shared by both gauges.
    let reading: Promise<Map<string, { items?: number; bytes?: number }>> | undefined;
    const read = (): Promise<Map<string, { items?: number; bytes?: number }>> => {
      reading ??= this.readSizes().finally(() => {
        setImmediate(() => (reading = undefined));
      });
      return reading;
    };
    this.registry.fromCatalog(MetricCatalog.cacheItems, {
      async collect(this: Gauge) {
        this.reset();
        for (const [cache, size] of await read()) {
          if (size.items !== undefined) this.set({ cache }, size.items);
        }
      },
    });
    this.registry.fromCatalog(MetricCatalog.cacheSize, {
      async collect(this: Gauge) {
        this.reset();
        for (const [cache, size] of await read()) {
          if (size.bytes !== undefined) this.set({ cache }, size.bytes);
        }
      },
    });
  }

  /**
   * Records the operations of a `cache-manager` (v6, v7) cache, as `@nestjs/cache-manager`'s
   * `CACHE_MANAGER` provides it: `get`/`mget` (hit or miss per key), `wrap` (hit, or miss when
   * the function ran), `set`/`mset`/`del`/`mdel`/`clear`/`ttl`, and errors the cache reports
   * (a store down reads as `error`, not `miss`). The cache is instrumented in place and returned.
   */
  instrumentCache<T extends object>(cache: T, options: CacheInstrumentOptions = {}): T {
    try {
      void this.metrics;
      instrumentCacheManager(cache, options.name ?? 'default', this);
    } catch (error) {
      this.logger.warn(CacheMessages.instrumentFailed('cache-manager', error));
    }
    return cache;
  }

  /**
   * Records every command of an ioredis client (or cluster) as a cache operation named after
   * the command: reads (`get`, `mget`, `hget`, `hmget`, `getex`, `getdel`, `hgetall`) as hit or
   * miss per key, other commands as success, failures as error. Connection housekeeping
   * (`info`, `select`, `client`, `ping`, ...) is left out. The client also reports
   * `cache_items_total` and `cache_size_bytes`. Instrumented in place and returned.
   */
  instrumentRedis<T extends object>(redis: T, options: CacheInstrumentOptions = {}): T {
    try {
      const name = options.name ?? 'redis';
      void this.metrics;
      if (instrumentIoRedis(redis, name, this)) {
        this.redis.set(name, redis as unknown as RedisLike);
        this.watchSizes();
      }
    } catch (error) {
      this.logger.warn(CacheMessages.instrumentFailed('ioredis', error));
    }
    return redis;
  }

  /**
   * Times one operation of any other cache and records its result: `read` returns what the
   * cache returned, `undefined` or `null` counting as a miss. Errors are recorded and rethrown.
   */
  async track<V>(
    operation: string,
    run: () => Promise<V> | V,
    options: { cache?: string; read?: boolean } = {},
  ): Promise<V> {
    const cache = options.cache ?? 'default';
    const started = performance.now();
    try {
      const value = await run();
      this.observe(cache, operation, (performance.now() - started) / 1000);
      const result = options.read
        ? value === undefined || value === null
          ? 'miss'
          : 'hit'
        : 'success';
      this.count(cache, operation, result);
      return value;
    } catch (error) {
      this.observe(cache, operation, (performance.now() - started) / 1000);
      this.count(cache, operation, 'error');
      throw error;
    }
  }

  /** Counts `count` results of one operation (a multi-key read counts each key). Never throws. */
  count(cache: string, operation: string, result: CacheResult, count = 1): void {
    try {
      if (count <= 0) return;
      const key = `${cache}\u0000${operation}\u0000${result}`;
      let counter = this.counters.get(key);
      if (!counter) {
        counter = this.metrics.operations.bind({ cache, operation, result });
        this.counters.set(key, counter);
      }
      counter.inc(count);
    } catch {
      // recording never breaks a cache call
    }
  }

  /** Observes the duration of one operation in seconds. Never throws. */
  observe(cache: string, operation: string, seconds: number): void {
    try {
      const key = `${cache}\u0000${operation}`;
      let histogram = this.histograms.get(key);
      if (!histogram) {
        histogram = this.metrics.duration.bind({ cache, operation });
        this.histograms.set(key, histogram);
      }
      histogram.observe(seconds);
    } catch {
      // recording never breaks a cache call
    }
  }

  /** Forgets the instrumented Redis clients (no more size reads). */
  close(): void {
    this.redis.clear();
  }

  private async readSizes(): Promise<Map<string, { items?: number; bytes?: number }>> {
    const sizes = new Map<string, { items?: number; bytes?: number }>();
    await Promise.all(
      [...this.redis].map(async ([name, redis]) => {
        const size = await readRedisSize(redis, this.options.scrapeTimeoutMs);
        if (size) sizes.set(name, size);
      }),
    );
    return sizes;
  }
}
