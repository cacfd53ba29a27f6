import type {
  ContextsOptions,
  ResolvedContextsOptions,
} from './contexts/contexts-options.interface';
import type {
  AlertingOptions,
  ResolvedAlertingOptions,
} from './alerting/alerting-options.interface';
import type { HealthOptions, ResolvedHealthOptions } from './health/health-options.interface';
import type {
  DatabaseMetricsOptions,
  ResolvedDatabaseMetricsOptions,
} from './database/database-options.interface';
import type {
  CacheMetricsOptions,
  ResolvedCacheMetricsOptions,
} from './cache/cache-options.interface';
import type {
  QueueMetricsOptions,
  ResolvedQueueMetricsOptions,
} from './queue/queue-options.interface';
import type { ErrorsOptions, ResolvedErrorsOptions } from './errors/errors-options.interface';
import type { ResolvedTracingOptions, TracingOptions } from './tracing/tracing-options.interface';
import type { LoggingOptions, ResolvedLoggingOptions } from './logging/logging-options.interface';
import type { PushgatewayOptions, ResolvedPushgatewayOptions } from './metrics/pushgateway';
import type { ReportsOptions, ResolvedReportsOptions } from './reports/reports-options.interface';
import type {
  HttpMetricsOptions,
  ResolvedHttpMetricsOptions,
} from './http/http-metrics-options.interface';
import type {
  AiKpiOptions,
  ResolvedAiKpiOptions,
  ResolvedTenantLabel,
  TenantLabelOptions,
} from './kpi/business-kpi-options.interface';

/**
 * Credentials that protect the metrics endpoint.
 *
 * @example
 * ```ts
 * { type: 'bearer', token: process.env.METRICS_TOKEN }
 * { type: 'basic', username: 'prometheus', password: process.env.METRICS_PASSWORD }
 * ```
 */
export type MetricsAuthOptions =
  { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

/**
 * Price of 1,000 tokens in US dollars, per model and per token type
 * (`{ 'gpt-4': { input: 0.03, output: 0.06 } }`). The type `'*'` matches any
 * type that has no price of its own.
 */
export type TokenPricingTable = Record<string, Record<string, number>>;

/** Options of the Prometheus metrics pipeline and its HTTP server. */
export interface MetricsOptions {
  /**
   * Collect metrics and serve them. When `false` no server is started.
   * @default process.env.ENABLE_METRICS ?? true
   */
  enabled?: boolean;
  /**
   * Port of the separate metrics server (kept off the public port). `0` picks a free port.
   * @default process.env.METRICS_PORT ?? 9091
   */
  port?: number;
  /**
   * Interface the metrics server binds to.
   * @default process.env.METRICS_HOST ?? '0.0.0.0'
   */
  host?: string;
  /**
   * Path of the exposition endpoint.
   * @default '/metrics'
   */
  path?: string;
  /**
   * Prepended to every metric name, e.g. `luneo_`.
   * @default process.env.METRICS_PREFIX ?? ''
   */
  prefix?: string;
  /**
   * Labels added to every series next to `service`.
   * @default {}
   */
  defaultLabels?: Record<string, string>;
  /**
   * Collect prom-client's process and Node.js runtime metrics.
   * @default true
   */
  defaultMetrics?: boolean;
  /**
   * Histogram buckets per metric name (without prefix), overriding the catalog's.
   * @default {}
   */
  buckets?: Record<string, number[]>;
  /**
   * Protects the metrics endpoint with a bearer token or basic auth. `/health` stays open.
   * @default undefined (no auth)
   */
  auth?: MetricsAuthOptions;
  /**
   * Label combinations one metric may hold before new ones fold into the `__overflow__` series.
   * @default 1000
   */
  maxSeriesPerMetric?: number;
}

/** Options of the business KPI catalog. */
export interface KpiOptions {
  /**
   * Width of the sliding window in which `active_users_total` counts distinct users.
   * @default 300
   */
  activeUsersWindowSeconds?: number;
  /**
   * Token prices; when set, `token_spend` also increments `token_cost_usd_total`.
   * @default undefined
   */
  tokenPricing?: TokenPricingTable;
  /**
   * Adds a bounded tenant (or workspace) label to the revenue, usage, feature and quota KPIs.
   * @default undefined (no tenant label)
   */
  tenant?: TenantLabelOptions;
  /** Names of the AI provider metrics, cost windows and the cost spike detector. */
  ai?: AiKpiOptions;
}

/**
 * Options of {@link ObservabilityModule}. Every field is optional; environment
 * variables fill what is not given.
 */
export interface ObservabilityModuleOptions {
  /**
   * Value of the `service` label on every metric.
   * @default process.env.SERVICE_NAME ?? the `name` in ./package.json ?? 'app'
   */
  service?: string;
  /**
   * Deployment environment.
   * @default process.env.APP_ENV ?? process.env.NODE_ENV ?? 'development'
   */
  environment?: string;
  /**
   * Release of the running code.
   * @default process.env.APP_VERSION ?? the `version` in ./package.json
   */
  version?: string;
  /** Prometheus metrics. */
  metrics?: MetricsOptions;
  /** Business KPIs. */
  kpi?: KpiOptions;
  /** Alerts: routing, dedup, escalation and delivery to Slack, PagerDuty, email, ... */
  alerting?: AlertingOptions;
  /** Health endpoints (`/health`, `/health/detailed`, `/ready`, `/live`) and graceful shutdown. */
  health?: HealthOptions;
  /** Queue and job metrics (BullMQ queues to watch). */
  queues?: QueueMetricsOptions;
  /** Database metrics (pg, TypeORM, Prisma) and the database health check. */
  database?: DatabaseMetricsOptions;
  /** Cache metrics (cache-manager, ioredis) and the Redis health check. */
  cache?: CacheMetricsOptions;
  /** Structured JSON logs (nestjs-pino) with request context and redaction. */
  logging?: LoggingOptions;
  /** Error tracking (Sentry) and the global exception filter. */
  errors?: ErrorsOptions;
  /**
   * Extra key names (matched case-insensitively, as substrings, ignoring `-` and `_`) whose
   * values are replaced by `[Redacted]` in logs and Sentry events, next to the built-in
   * authorization, cookie, password, token, secret, apiKey and card number.
   * @default []
   */
  redact?: string[];
  /** HTTP RED metrics of the application's own server (Express or Fastify). */
  http?: HttpMetricsOptions;
  /** Spans and RED metrics of microservice, WebSocket, GraphQL, scheduled and BullMQ handlers. */
  contexts?: ContextsOptions;
  /**
   * Pushes the metrics to a Prometheus Pushgateway (short-lived jobs): `monitoring.push()`, and
   * at close with `pushOnExit`. `jobName` defaults to `service`; `url` to `PUSHGATEWAY_URL`,
   * which alone turns pushing on.
   * @default undefined (no Pushgateway)
   */
  pushgateway?: Omit<PushgatewayOptions, 'url' | 'jobName'> & { url?: string; jobName?: string };
  /**
   * Overview, business and performance reports over a time range (JSON or CSV), answered by
   * Prometheus when `PROMETHEUS_URL` is set. See docs/reports.md.
   * @default { enabled: false }
   */
  reports?: ReportsOptions;
  /**
   * OpenTelemetry tracing (OTLP export), read by `nestjs-observability/instrument` or
   * `startTracing()` before the application is imported; the `OTEL_*` variables configure it
   * too. The module itself only reads `providers` and `collapseAfter`.
   * @default off unless an OTLP endpoint is configured
   */
  tracing?: TracingOptions;
}

/** Options after defaults and environment variables are applied and validated. @internal */
export interface ResolvedObservabilityOptions {
  service: string;
  environment: string;
  version: string | undefined;
  metrics: Required<Omit<MetricsOptions, 'auth'>> & { auth: MetricsAuthOptions | undefined };
  kpi: {
    activeUsersWindowSeconds: number;
    tokenPricing: TokenPricingTable | undefined;
    tenant: ResolvedTenantLabel | undefined;
    ai: ResolvedAiKpiOptions;
  };
  alerting: ResolvedAlertingOptions;
  health: ResolvedHealthOptions;
  queues: ResolvedQueueMetricsOptions;
  database: ResolvedDatabaseMetricsOptions;
  cache: ResolvedCacheMetricsOptions;
  logging: ResolvedLoggingOptions;
  errors: ResolvedErrorsOptions;
  redact: string[];
  http: ResolvedHttpMetricsOptions;
  contexts: ResolvedContextsOptions;
  pushgateway: ResolvedPushgatewayOptions | undefined;
  reports: ResolvedReportsOptions;
  tracing: ResolvedTracingOptions;
}
