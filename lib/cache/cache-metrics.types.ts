/** The result of one cache operation: the `result` label of `cache_operations_total`. */
export type CacheResult = 'hit' | 'miss' | 'success' | 'error';

/** Records cache operations (`CacheMetricsService`). */
export interface CacheRecorder {
  /** Counts `count` results of one operation (a multi-key read counts each key). */
  count(cache: string, operation: string, result: CacheResult, count?: number): void;
  /** Observes the duration of one operation. */
  observe(cache: string, operation: string, seconds: number): void;
}
