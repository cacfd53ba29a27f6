/** Prometheus metric type. */
export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * One built-in metric, declared once as data. Registration, the README's metrics
 * reference and the generated alert rules and dashboards all read it.
 *
 * `labelNames` excludes `service`, which the registry adds to every series.
 */
export interface MetricDefinition {
  /** Name without the configured prefix. */
  readonly name: string;
  readonly type: MetricKind;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Default histogram buckets; `metrics.buckets[name]` overrides them. */
  readonly buckets?: readonly number[];
}

const define = <const T extends MetricDefinition>(definition: T): T => definition;

/** Seconds-scale buckets for AI provider calls (a model call takes from 0.1 s to minutes). */
const AI_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60] as const;

/** Buckets for method durations, from sub-millisecond calls to slow jobs. */
const METHOD_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

/** Job durations, from sub-second jobs to ten-minute renders. */
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;

/** Time a job waits in its queue before a worker picks it up. */
const QUEUE_WAIT_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600] as const;
/** Buckets for alert deliveries: a local receiver in milliseconds, a slow SaaS API in seconds. */
const ALERT_DELIVERY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Buckets for health check durations, from in-process checks to timed-out dependencies. */
const HEALTH_CHECK_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
/** Buckets for HTTP request durations: web latencies from 5 ms to 10 s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Buckets for HTTP body sizes in bytes, from 100 B to 10 MB. */
const SIZE_BUCKETS = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000] as const;

/** The built-in metrics, by role. */
export const MetricCatalog = {
  activeUsers: define({
    name: 'active_users_total',
    type: 'gauge',
    help: 'Distinct users seen in the sliding active-user window (HyperLogLog estimate).',
    labelNames: [],
  }),
  generationSuccess: define({
    name: 'generation_success_total',
    type: 'counter',
    help: 'Successful content generations by type.',
    labelNames: ['type'],
  }),
  generationFailure: define({
    name: 'generation_failure_total',
    type: 'counter',
    help: 'Failed content generations by type and error type.',
    labelNames: ['type', 'error_type'],
  }),
  tokenSpend: define({
    name: 'token_spend_total',
    type: 'counter',
    help: 'AI tokens spent by model and token type.',
    labelNames: ['model', 'type'],
  }),
  tokenCost: define({
    name: 'token_cost_usd_total',
    type: 'counter',
    help: 'Cost of AI tokens in US dollars, from the configured pricing table.',
    labelNames: ['model', 'type'],
  }),
  paymentConversions: define({
    name: 'payment_conversions_total',
    type: 'counter',
    help: 'Successful payments by payment method and plan.',
    labelNames: ['payment_method', 'plan'],
  }),
  paymentFailures: define({
    name: 'payment_failures_total',
    type: 'counter',
    help: 'Failed payments by payment method and error type.',
    labelNames: ['payment_method', 'error_type'],
  }),
  errors: define({
    name: 'errors_total',
    type: 'counter',
    help: 'Errors by error type and severity.',
    labelNames: ['error_type', 'severity'],
  }),
  aiRequestDuration: define({
    name: 'ai_request_duration_seconds',
    type: 'histogram',
    help: 'Duration of AI provider requests in seconds.',
    labelNames: ['provider', 'model', 'operation', 'status'],
    buckets: AI_BUCKETS,
  }),
  aiRequests: define({
    name: 'ai_requests_total',
    type: 'counter',
    help: 'AI provider requests.',
    labelNames: ['provider', 'model', 'operation', 'status'],
  }),
  aiRequestErrors: define({
    name: 'ai_requests_error_total',
    type: 'counter',
    help: 'Failed AI provider requests by error type.',
    labelNames: ['provider', 'model', 'operation', 'error_type'],
  }),
  aiCost: define({
    name: 'ai_cost_cents_total',
    type: 'counter',
    help: 'Cost of AI provider requests in US cents.',
    labelNames: ['provider', 'model', 'operation'],
  }),
  methodDuration: define({
    name: 'method_duration_seconds',
    type: 'histogram',
    help: 'Duration of methods decorated with @TrackDuration() in seconds.',
    labelNames: ['class', 'method', 'status'],
    buckets: METHOD_BUCKETS,
  }),
  methodCalls: define({
    name: 'method_calls_total',
    type: 'counter',
    help: 'Calls of methods decorated with @CountCalls() by outcome.',
    labelNames: ['class', 'method', 'status'],
  }),
  queueJobDuration: define({
    name: 'queue_job_duration_seconds',
    type: 'histogram',
    help: 'Duration of queue jobs in seconds, from start of processing to completion or failure.',
    labelNames: ['queue_name', 'job_type'],
    buckets: JOB_BUCKETS,
  }),
  activeJobs: define({
    name: 'active_jobs_total',
    type: 'gauge',
    help: 'Jobs being processed by this process, by queue.',
    labelNames: ['queue_name'],
  }),
  queueFailures: define({
    name: 'queue_failures_total',
    type: 'counter',
    help: 'Failed queue jobs by queue and error type.',
    labelNames: ['queue_name', 'error_type'],
  }),
  queueJobsCompleted: define({
    name: 'queue_jobs_completed_total',
    type: 'counter',
    help: 'Completed queue jobs by queue and job type.',
    labelNames: ['queue_name', 'job_type'],
  }),
  queueWaitTime: define({
    name: 'worker_queue_wait_time_seconds',
    type: 'histogram',
    help: 'Time jobs spend waiting in their queue before processing, in seconds.',
    labelNames: ['queue_name'],
    buckets: QUEUE_WAIT_BUCKETS,
  }),
  queueWaitTimeCurrent: define({
    name: 'worker_queue_wait_time_current_seconds',
    type: 'gauge',
    help: 'Age of the oldest waiting job per queue in seconds (0 when none waits).',
    labelNames: ['queue_name'],
  }),
  queueJobsWaiting: define({
    name: 'queue_jobs_waiting',
    type: 'gauge',
    help: 'Jobs waiting to be processed, by queue.',
    labelNames: ['queue_name'],
  }),
  queueJobs: define({
    name: 'queue_jobs',
    type: 'gauge',
    help: 'Jobs in a watched queue by state (waiting, active, delayed, failed), read at scrape time.',
    labelNames: ['queue_name', 'state'],
  }),
  queueMetricsErrors: define({
    name: 'queue_metrics_errors_total',
    type: 'counter',
    help: 'Failures to read a watched queue (Redis connection errors, timed-out backlog reads).',
    labelNames: ['queue_name'],
  }),
  alertsSent: define({
    name: 'alerts_sent_total',
    type: 'counter',
    help: 'Alert notifications delivered (status="success") or given up (status="failed"), by channel and severity.',
    labelNames: ['channel', 'severity', 'status'],
  }),
  alertsDropped: define({
    name: 'alerts_dropped_total',
    type: 'counter',
    help: 'Alerts not delivered, by reason: duplicate, queue_full, invalid, too_many_active, shutdown.',
    labelNames: ['reason'],
  }),
  alertsExpired: define({
    name: 'alerts_expired_total',
    type: 'counter',
    help: 'Active alerts forgotten without resolve(), by reason: ttl (not raised again within alerting.activeAlertTtlMs), evicted (to make room past alerting.maxActiveAlerts).',
    labelNames: ['reason'],
  }),
  alertDeliveryDuration: define({
    name: 'alert_delivery_duration_seconds',
    type: 'histogram',
    help: 'Duration of alert delivery attempts in seconds, by channel.',
    labelNames: ['channel'],
    buckets: ALERT_DELIVERY_BUCKETS,
  }),
  healthCheckStatus: define({
    name: 'health_check_status',
    type: 'gauge',
    help: 'Result of the last run of each health check: 1 up, 0 down.',
    labelNames: ['check'],
  }),
  healthCheckDuration: define({
    name: 'health_check_duration_seconds',
    type: 'histogram',
    help: 'Duration of health checks in seconds (a timed-out check counts its timeout).',
    labelNames: ['check'],
    buckets: HEALTH_CHECK_BUCKETS,
  }),
  httpRequests: define({
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP responses sent, by method, route template and status code (499: client closed the connection).',
    labelNames: ['method', 'route', 'status_code'],
  }),
  httpRequestDuration: define({
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from the arrival of an HTTP request to the end of its response, in seconds.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_BUCKETS,
  }),
  httpRequestsInProgress: define({
    name: 'http_requests_in_progress',
    type: 'gauge',
    help: 'HTTP requests received and not yet answered, by method and route template.',
    labelNames: ['method', 'route'],
  }),
  httpRequestSize: define({
    name: 'http_request_size_bytes',
    type: 'histogram',
    help: 'Size of HTTP request bodies in bytes (Content-Length), when http.requestSizeHistogram is on.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: SIZE_BUCKETS,
  }),
  httpResponseSize: define({
    name: 'http_response_size_bytes',
    type: 'histogram',
    help: 'Size of HTTP response bodies in bytes (Content-Length), when http.responseSizeHistogram is on.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: SIZE_BUCKETS,
  }),
  droppedEvents: define({
    name: 'observability_dropped_events_total',
    type: 'counter',
    help: 'Metric events dropped because of an invalid value or label, by reason.',
    labelNames: ['reason'],
  }),
  labelOverflow: define({
    name: 'observability_label_overflow_total',
    type: 'counter',
    help: 'Events folded into the overflow series after a metric reached metrics.maxSeriesPerMetric.',
    labelNames: ['metric'],
  }),
} as const;

/** Every built-in metric definition. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.values(MetricCatalog);
