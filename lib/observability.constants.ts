/** Injection token of the resolved, validated options. */
export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Label value that replaces every label of a series past `maxSeriesPerMetric`. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Label values longer than this are truncated. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * String token under which `AlertingService` is also provided, so other parts of the library
 * (queue, errors, health) can resolve it optionally through `ModuleRef` without importing it.
 */
export const ALERTING_SERVICE_TOKEN = 'OBSERVABILITY_ALERTING_SERVICE';

/**
 * Token under which the queue metrics service is provided. The health `queues` indicator looks
 * it up (optionally) for `getBacklogSnapshot()`.
 */
export const QUEUE_METRICS_TOKEN = 'OBSERVABILITY_QUEUE_METRICS';
