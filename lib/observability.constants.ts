/** Injection token of the resolved, validated options. */
export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Label value that replaces every label of a series past `maxSeriesPerMetric`. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Label values longer than this are truncated. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * Injection token under which an alerting service (anything with
 * `alertQueueFailure(queueName, error, jobData)`) is looked up at bootstrap. When a provider is
 * registered under it, `@TrackJob()` raises an alert for every failed job; without one, it does not.
 */
export const OBSERVABILITY_ALERTING_SERVICE = 'OBSERVABILITY_ALERTING_SERVICE';
