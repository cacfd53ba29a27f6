/** Injection token of the resolved, validated options. */
export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Label value that replaces every label of a series past `maxSeriesPerMetric`. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Label values longer than this are truncated. */
export const MAX_LABEL_VALUE_LENGTH = 128;
