/** A Redis checked by the health endpoints with `PING` (ioredis client or cluster). */
export interface RedisHealthOptions {
  /** The ioredis client to ping. */
  client: object;
  /**
   * Name of the check on `/health/detailed` and `/ready`, and its `check` label.
   * @default 'redis'
   */
  name?: string;
  /**
   * Gate `/ready` on the check (it is always on `/health/detailed`).
   * @default true
   */
  critical?: boolean;
  /**
   * Milliseconds after which the check counts as down.
   * @default health.timeoutMs (1000)
   */
  timeoutMs?: number;
}

/**
 * Cache metrics: `cache_operations_total` (by result: hit, miss, success, error),
 * `cache_operation_duration_seconds`, and for Redis `cache_items_total` and `cache_size_bytes`,
 * recorded from the caches given to `CacheMetricsService` (`instrumentCache`, `instrumentRedis`).
 *
 * @example
 * ```ts
 * ObservabilityModule.forRootAsync({
 *   inject: [REDIS],
 *   useFactory: (redis: Redis) => ({ cache: { health: { client: redis } } }),
 * });
 * ```
 */
export interface CacheMetricsOptions {
  /**
   * Longest time a scrape waits for the size of an instrumented Redis (`DBSIZE`, `INFO memory`);
   * a slower or unreachable Redis leaves `cache_items_total` and `cache_size_bytes` of that cache
   * out of the scrape.
   * @default 500
   */
  scrapeTimeoutMs?: number;
  /** A Redis ping on `/health/detailed` (and `/ready`). @default undefined (none) */
  health?: RedisHealthOptions;
}

/** Cache options after validation. @internal */
export interface ResolvedCacheMetricsOptions {
  scrapeTimeoutMs: number;
  health:
    { client: object; name: string; critical: boolean; timeoutMs: number | undefined } | undefined;
}
