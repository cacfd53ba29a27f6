/**
 * Token under which a queue metrics service is found (optional). It must implement
 * {@link QueueBacklogSource}; the `queues` indicator is active when it is present.
 */
export const QUEUE_METRICS_TOKEN = 'OBSERVABILITY_QUEUE_METRICS';

/**
 * Token under which an alerting service is found (optional). It must implement
 * {@link AlertChannelStateSource}; the `alerting` indicator is active when it is present.
 */
export const ALERTING_SERVICE_TOKEN = 'OBSERVABILITY_ALERTING_SERVICE';

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
