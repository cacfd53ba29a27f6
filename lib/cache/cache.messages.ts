/** User-facing messages of the cache metrics. */
export const CacheMessages = {
  instrumentFailed: (what: string, error: unknown): string =>
    `Could not instrument the ${what} cache for cache metrics: ${
      (error as Error)?.message ?? String(error)
    }. Its operations are not recorded; pass a cache-manager cache (CACHE_MANAGER) or an ioredis client.`,
} as const;
