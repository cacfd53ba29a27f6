/** Prometheus metric type. */
export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * One built-in metric, declared once as data. Registration, the docs' metrics
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
/** Database query durations, with the 0.5 s (p95) and 2.5 s (p99) alert thresholds as bounds. */
const DB_QUERY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Cache operations, from in-memory lookups to a slow remote Redis. */
const CACHE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;
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
  databaseQueryDuration: define({
    name: 'database_query_duration_seconds',
    type: 'histogram',
    help: 'Duration of database queries in seconds, by operation and table (or Prisma model).',
    labelNames: ['operation', 'table'],
    buckets: DB_QUERY_BUCKETS,
  }),
  databaseErrors: define({
    name: 'database_errors_total',
    type: 'counter',
    help: 'Failed database queries and connection attempts (operation="CONNECT"), by error type (SQLSTATE, driver or Prisma code).',
    labelNames: ['operation', 'error_type'],
  }),
  databaseSlowQueries: define({
    name: 'database_slow_queries_total',
    type: 'counter',
    help: 'Database queries that took at least database.slowQueryThresholdMs, by operation and table.',
    labelNames: ['operation', 'table'],
  }),
  databaseConnections: define({
    name: 'database_connections',
    type: 'gauge',
    help: 'Connections of each instrumented pool by state (active, idle, total, waiting, max), read at scrape time.',
    labelNames: ['pool', 'state'],
  }),
  cacheOperations: define({
    name: 'cache_operations_total',
    type: 'counter',
    help: 'Cache operations by cache, operation and result (hit, miss, success, error).',
    labelNames: ['cache', 'operation', 'result'],
  }),
  cacheOperationDuration: define({
    name: 'cache_operation_duration_seconds',
    type: 'histogram',
    help: 'Duration of cache operations in seconds, by cache and operation.',
    labelNames: ['cache', 'operation'],
    buckets: CACHE_BUCKETS,
  }),
  cacheItems: define({
    name: 'cache_items_total',
    type: 'gauge',
    help: 'Keys stored in each instrumented Redis cache (DBSIZE), read at scrape time.',
    labelNames: ['cache'],
  }),
  cacheSize: define({
    name: 'cache_size_bytes',
    type: 'gauge',
    help: 'Memory used by each instrumented Redis cache in bytes (INFO used_memory), read at scrape time.',
    labelNames: ['cache'],
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
  rpcRequests: define({
    name: 'rpc_requests_total',
    type: 'counter',
    help: 'Microservice messages handled (@MessagePattern/@EventPattern), by pattern and status (success, error).',
    labelNames: ['pattern', 'status'],
  }),
  rpcRequestDuration: define({
    name: 'rpc_request_duration_seconds',
    type: 'histogram',
    help: 'Time a microservice handler took, from its call to its result or error, in seconds.',
    labelNames: ['pattern', 'status'],
    buckets: HTTP_BUCKETS,
  }),
  wsMessages: define({
    name: 'ws_messages_total',
    type: 'counter',
    help: 'WebSocket gateway messages handled (@SubscribeMessage), by gateway class, event and status.',
    labelNames: ['gateway', 'event', 'status'],
  }),
  wsMessageDuration: define({
    name: 'ws_message_duration_seconds',
    type: 'histogram',
    help: 'Time a WebSocket gateway handler took, in seconds.',
    labelNames: ['gateway', 'event', 'status'],
    buckets: HTTP_BUCKETS,
  }),
  graphqlRequests: define({
    name: 'graphql_requests_total',
    type: 'counter',
    help: 'GraphQL root fields resolved by Nest resolvers, by operation type, operation name (anonymous when unnamed) and status.',
    labelNames: ['operation_type', 'operation_name', 'status'],
  }),
  graphqlRequestDuration: define({
    name: 'graphql_request_duration_seconds',
    type: 'histogram',
    help: 'Time a GraphQL root resolver took, in seconds.',
    labelNames: ['operation_type', 'operation_name', 'status'],
    buckets: HTTP_BUCKETS,
  }),
  scheduledJobRuns: define({
    name: 'scheduled_job_runs_total',
    type: 'counter',
    help: 'Runs of @Cron(), @Interval() and @Timeout() methods, by job name and status (success, error).',
    labelNames: ['job', 'status'],
  }),
  scheduledJobDuration: define({
    name: 'scheduled_job_duration_seconds',
    type: 'histogram',
    help: 'Duration of @Cron(), @Interval() and @Timeout() runs in seconds, by job name.',
    labelNames: ['job'],
    buckets: JOB_BUCKETS,
  }),
  revenue: define({
    name: 'revenue_total',
    type: 'counter',
    help: 'Revenue in major units of its currency (12.34 for 12.34 EUR), summed exactly in integer minor units.',
    labelNames: ['plan_type', 'currency'],
  }),
  revenueMinorUnits: define({
    name: 'revenue_minor_units_total',
    type: 'counter',
    help: 'Revenue in integer minor units of its currency (cents; yen for JPY, fils for KWD).',
    labelNames: ['plan_type', 'currency'],
  }),
  subscriptionsStarted: define({
    name: 'subscriptions_started_total',
    type: 'counter',
    help: 'Subscriptions started, by plan.',
    labelNames: ['plan_type'],
  }),
  subscriptionsCancelled: define({
    name: 'subscriptions_cancelled_total',
    type: 'counter',
    help: 'Subscriptions cancelled, by plan.',
    labelNames: ['plan_type'],
  }),
  subscriptionsActive: define({
    name: 'subscriptions_active',
    type: 'gauge',
    help: 'Active subscriptions by plan, as last set by the application (from its database).',
    labelNames: ['plan_type'],
  }),
  featureUsage: define({
    name: 'feature_usage_total',
    type: 'counter',
    help: 'Uses of product features, by feature.',
    labelNames: ['feature'],
  }),
  usage: define({
    name: 'usage_total',
    type: 'counter',
    help: 'Metered usage (documents, signatures, API calls...) by metric type.',
    labelNames: ['metric_type'],
  }),
  quotaUsed: define({
    name: 'quota_used',
    type: 'gauge',
    help: 'Quota consumed in the current period, by metric type and plan.',
    labelNames: ['metric_type', 'plan_type'],
  }),
  quotaLimit: define({
    name: 'quota_limit',
    type: 'gauge',
    help: 'Quota allowed in the current period, by metric type and plan.',
    labelNames: ['metric_type', 'plan_type'],
  }),
  quotaUtilization: define({
    name: 'quota_utilization',
    type: 'gauge',
    help: 'Quota used as a percentage of its limit (0-100, above 100 when exceeded).',
    labelNames: ['metric_type', 'plan_type'],
  }),
  openaiRequestDuration: define({
    name: 'openai_request_duration_seconds',
    type: 'histogram',
    help: 'Duration of OpenAI API requests in seconds (kpi.ai.naming "openai").',
    labelNames: ['model', 'operation', 'status'],
    buckets: AI_BUCKETS,
  }),
  openaiRequests: define({
    name: 'openai_requests_total',
    type: 'counter',
    help: 'OpenAI API requests (kpi.ai.naming "openai").',
    labelNames: ['model', 'operation'],
  }),
  openaiRequestErrors: define({
    name: 'openai_requests_error_total',
    type: 'counter',
    help: 'Failed OpenAI API requests by error type (kpi.ai.naming "openai").',
    labelNames: ['model', 'operation', 'error_type'],
  }),
  openaiCost: define({
    name: 'openai_cost_cents',
    type: 'gauge',
    help: 'Cost of OpenAI API requests in US cents since the process started (kpi.ai.naming "openai"; a gauge that only rises).',
    labelNames: ['model', 'operation'],
  }),
  aiCostBaseline: define({
    name: 'ai_cost_baseline_cents',
    type: 'gauge',
    help: 'Average AI cost in US cents of the previous kpi.ai.baselineWindows windows of each time_window.',
    labelNames: ['time_window'],
  }),
  aiCostCurrent: define({
    name: 'ai_cost_current_cents',
    type: 'gauge',
    help: 'AI cost in US cents in the current window of each time_window.',
    labelNames: ['time_window'],
  }),
  slowRequests: define({
    name: 'slow_requests_total',
    type: 'counter',
    help: 'HTTP requests slower than http.slowRequestThreshold, by route template.',
    labelNames: ['route'],
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
