/** Names of the built-in checks (keys in the responses, values of the `check` label). */
export const BUILT_IN_CHECKS = [
  'memory_heap',
  'memory_rss',
  'disk',
  'event_loop',
  'metrics_registry',
  'queues',
  'alerting',
] as const;

/** Key of the readiness entry that is down while the application shuts down. */
export const SHUTDOWN_CHECK = 'shutdown';
