/**
 * `nestjs-observability`: the Nest module, the services you inject, the decorators, and the
 * option and event types. The framework-free entry is `nestjs-observability/core`; Sentry's
 * "load first" entries are `nestjs-observability/instrument` and `nestjs-observability/sentry`.
 * Everything else is internal: `api/nestjs-observability.api.md` lists the public surface, and
 * `npm run api:check` fails when it changes by accident.
 *
 * @packageDocumentation
 */

// ---- The module and its options -----------------------------------------------------------
export { ObservabilityModule } from './observability.module';
export type {
  KpiOptions,
  MetricsAuthOptions,
  MetricsOptions,
  ObservabilityModuleOptions,
  TokenPricingTable,
} from './observability-options.interface';

// ---- Metrics: KPIs, custom metrics, the metrics server ---------------------------------------
export { CustomMetricsService } from './metrics/custom-metrics.service';
export type { MetricConfig } from './metrics/metrics-registry';
export type {
  AiRequestEvent,
  AiRequestStatus,
  AIRequestEvent,
  AIRequestStatus,
  ErrorSeverity,
  KpiEvent,
  KpiType,
} from './metrics/kpi.types';
export type { QuotaEvent, RevenueEvent, UsageOptions } from './kpi/business-kpi.types';
export type { AiKpiOptions, TenantLabelOptions } from './kpi/business-kpi-options.interface';
export { MetricsServer } from './metrics/metrics-server.service';
/** prom-client's metric types, as returned by `CustomMetricsService.create*()`. */
export type { Counter, Gauge, Histogram, Summary } from 'prom-client';
export {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  makeSummaryProvider,
} from '@willsoto/nestjs-prometheus';

// ---- HTTP metrics ----------------------------------------------------------------------------
export type { HttpMetricsOptions } from './http/http-metrics-options.interface';
export {
  createExpressMetricsMiddleware,
  createFastifyMetricsHook,
} from './http/http-metrics.middleware';
export type { HttpMetricsMiddlewareOptions } from './http/http-metrics.middleware';
export type {
  ExpressMetricsMiddleware,
  FastifyMetricsHook,
  FastifyReplyLike,
  FastifyRequestLike,
} from './http/http-metrics.hooks';

// ---- Decorators ------------------------------------------------------------------------------
export { TrackDuration } from './decorators/track-duration.decorator';
export { CountCalls } from './decorators/count-calls.decorator';
export { TrackJob } from './queue/track-job.decorator';
export type { CountCallsOptions, TrackDurationOptions } from './decorators/method-metric.types';

// ---- Queues ----------------------------------------------------------------------------------
export { QueueMetricsService } from './queue/queue-metrics.service';
export type {
  QueueBacklog,
  TrackJobOptions,
  WatchableBullQueue,
} from './queue/queue-metrics.types';
export type { BullMqQueuesOptions, QueueMetricsOptions } from './queue/queue-options.interface';
export { traceJob, withTraceContext } from './queue/job-trace-context';
export type { TracedJobLike, WithTraceContext } from './queue/job-trace-context';

// ---- Microservices, WebSockets, GraphQL, scheduled jobs ---------------------------------------
export type { ContextsOptions } from './contexts/contexts-options.interface';

// ---- Databases and caches --------------------------------------------------------------------
export { DatabaseMetricsService } from './database/database-metrics.service';
export type { InstrumentOptions } from './database/database-metrics.service';
export type { QueryDescription, QueryDone } from './database/database-metrics.types';
export type {
  DatabaseHealthOptions,
  DatabaseMetricsOptions,
} from './database/database-options.interface';
export type { PrismaQueryExtension } from './database/prisma.extension';
export { CacheMetricsService } from './cache/cache-metrics.service';
export type { CacheInstrumentOptions } from './cache/cache-metrics.service';
export type { CacheResult } from './cache/cache-metrics.types';
export type { CacheMetricsOptions, RedisHealthOptions } from './cache/cache-options.interface';

// ---- Alerting --------------------------------------------------------------------------------
export { AlertingService } from './alerting/alerting.service';
export type { AlertChannelState } from './alerting/alert-dispatcher';
export type {
  Alert,
  AlertInput,
  AlertNotification,
  AlertSeverity,
  AlertStatus,
} from './alerting/alert.types';
export type {
  AlertAdminOptions,
  AlertChannelCommonOptions,
  AlertChannelsOptions,
  AlertDeliveryOptions,
  AlertingOptions,
  AlertmanagerChannelOptions,
  AlertRoute,
  AlertTemplate,
  AlertTemplateText,
  DiscordChannelOptions,
  EmailChannelOptions,
  PagerDutyChannelOptions,
  SlackChannelOptions,
  SmsChannelOptions,
  WebhookChannelOptions,
} from './alerting/alerting-options.interface';
export { AlertDeliveryError } from './alerting/channels/alert-channel.interface';
export type { AlertChannel } from './alerting/channels/alert-channel.interface';
export { signWebhookBody, WEBHOOK_SIGNATURE_HEADER } from './alerting/channels/webhook.channel';

// ---- Health ----------------------------------------------------------------------------------
export { HealthService } from './health/health.service';
export type { BasicHealthBody, HealthReport } from './health/health.service';
export type {
  DiskHealthOptions,
  EventLoopHealthOptions,
  HealthCheckDefinition,
  HealthOptions,
  HealthPaths,
  MemoryHealthOptions,
  QueueHealthOptions,
} from './health/health-options.interface';

// ---- Logging ---------------------------------------------------------------------------------
export { StructuredLogger } from './logging/structured-logger';
export { useStructuredLogger } from './logging/use-structured-logger';
export { RequestContext } from './logging/request-context';
export type { RequestContextStore } from './logging/request-context';
export type {
  LogDestination,
  LoggingOptions,
  LogLevel,
  ObservedRequest,
  RequestUserContext,
} from './logging/logging-options.interface';

// ---- Errors (Sentry's "load first" helper is in `nestjs-observability/sentry`) ---------------
export { ErrorTrackingService } from './errors/error-tracking.service';
export type { ErrorsOptions } from './errors/errors-options.interface';
export type { CriticalErrorAlert, ErrorContext } from './errors/error-tracking.types';

// ---- Generated Prometheus rules and Grafana dashboards ---------------------------------------
export { generateMonitoringArtifacts } from './monitoring-artifacts/generate-monitoring-artifacts';
export { ALERT_NAMES } from './monitoring-artifacts/monitoring-artifacts-options.interface';
export type {
  AlertName,
  AlertOverride,
  GeneratedMonitoringArtifacts,
  MetricOverride,
  MonitoringArtifact,
  MonitoringArtifactsOptions,
  ScrapeTarget,
} from './monitoring-artifacts/monitoring-artifacts-options.interface';

// ---- Reports ---------------------------------------------------------------------------------
export { ReportService } from './reports/report.service';
export type { ReportServiceSettings } from './reports/report.service';
export { ReportRangeError } from './reports/report-range';
export type { ReportRangeInput } from './reports/report-range';
export { PrometheusApiError } from './reports/prometheus-api.client';
export type { Report, ReportKind } from './reports/report.types';
export type { ReportsOptions } from './reports/reports-options.interface';

// ---- Tracing (OpenTelemetry; started by `nestjs-observability/instrument` or `/tracing`) ------
export { Trace, setSpanAttributes } from './tracing/trace.decorator';
export type { TraceOptions } from './tracing/trace.decorator';
export { getTracer } from './tracing/span-runner';
export { tracingInstrument } from './tracing/tracing-instrument';
export type { TracingInstrumentOptions } from './tracing/tracing-instrument';
export type {
  OtlpProtocol,
  TraceSampler,
  TracingInstrumentations,
  TracingOptions,
} from './tracing/tracing-options.interface';
