import { isPlainObject, OptionReader, optionKeys, TIMER } from '../config/option-reader';
import type { Problems } from '../config/problems';
import { resolveDependencyHealth } from '../database/resolve-database-options';
import type { CacheMetricsOptions, ResolvedCacheMetricsOptions } from './cache-options.interface';

const CACHE_KEYS = optionKeys({
  scrapeTimeoutMs: true,
  health: true,
} satisfies Record<keyof CacheMetricsOptions, true>);

/** The default `cache.scrapeTimeoutMs`. */
export const DEFAULT_CACHE_SCRAPE_TIMEOUT_MS = 500;

/** Validates the `cache` options, recording every problem. */
export function resolveCacheOptions(raw: unknown, problems: Problems): ResolvedCacheMetricsOptions {
  const cache = OptionReader.of(raw, 'cache', CACHE_KEYS, problems);
  const scrapeTimeoutMs = cache.integer('scrapeTimeoutMs', TIMER);
  return {
    scrapeTimeoutMs: scrapeTimeoutMs ?? DEFAULT_CACHE_SCRAPE_TIMEOUT_MS,
    health: isPlainObject(raw)
      ? resolveDependencyHealth(cache, 'redis', 'an ioredis client')
      : undefined,
  };
}
