export { ObservabilityModule } from './observability.module';
export type {
  KpiOptions,
  MetricsAuthOptions,
  MetricsOptions,
  ObservabilityModuleOptions,
  TokenPricingTable,
} from './observability-options.interface';
export { CustomMetricsService } from './metrics/custom-metrics.service';
export type { MetricConfig } from './metrics/metrics-registry';
export type {
  AIRequestEvent,
  AIRequestStatus,
  ErrorSeverity,
  KpiEvent,
  KpiType,
} from './metrics/kpi.types';
export type { QuotaEvent, RevenueEvent, UsageOptions } from './kpi/business-kpi.types';
export type { AiKpiOptions, TenantLabelOptions } from './kpi/business-kpi-options.interface';
export { MetricsServer } from './metrics/metrics-server.service';
export { QueueMetricsService } from './queue/queue-metrics.service';
export { TrackJob } from './queue/track-job.decorator';
export { traceJob, withTraceContext } from './queue/job-trace-context';
export type { TracedJobLike, WithTraceContext } from './queue/job-trace-context';
export type { ContextsOptions } from './contexts/contexts-options.interface';
export type {
  QueueBacklog,
  TrackJobOptions,
  WatchableBullQueue,
} from './queue/queue-metrics.types';
export type { BullMqQueuesOptions, QueueMetricsOptions } from './queue/queue-options.interface';
export type { QueueFailureAlerter } from './queue/queue-failure-alerter.interface';
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
export { MetricCatalog, METRIC_DEFINITIONS } from './metrics/metric-catalog';
export type { MetricDefinition, MetricKind } from './metrics/metric-catalog';
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
export { CLIENT_CLOSED_STATUS, UNMATCHED_ROUTE } from './http/http-metrics.recorder';
export { TrackDuration } from './decorators/track-duration.decorator';
export { CountCalls } from './decorators/count-calls.decorator';
export type { CountCallsOptions, TrackDurationOptions } from './decorators/method-metric.types';
export {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  makeSummaryProvider,
} from '@willsoto/nestjs-prometheus';
/** prom-client's metric types, as returned by `CustomMetricsService.create*()`. */
export type { Counter, Gauge, Histogram, Summary } from 'prom-client';
export { AlertingService } from './alerting/alerting.service';
export type { AlertChannelPatch } from './alerting/alerting.service';
export type { AlertChannelState } from './alerting/alert-dispatcher';
export { ALERTING_SERVICE_TOKEN } from './observability.constants';
export { alertFingerprint } from './alerting/alert.types';
export type {
  Alert,
  AlertInput,
  AlertNotification,
  AlertSeverity,
  AlertStatus,
} from './alerting/alert.types';
export type { AlertClock } from './alerting/alert-clock';
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
  ResolvedHealthOptions,
} from './health/health-options.interface';
export { QUEUE_METRICS_TOKEN } from './observability.constants';
export type {
  QueueBacklogEntry,
  QueueBacklogSource,
} from './health/indicators/queue-backlog.health';
export type { AlertChannelStateSource } from './health/indicators/alert-channels.health';
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
export type {
  LogDestination,
  LoggingOptions,
  LogLevel,
  RequestUserContext,
} from './logging/logging-options.interface';
export { RequestContext } from './logging/request-context';
export type { RequestContextStore } from './logging/request-context';
export { useStructuredLogger } from './logging/use-structured-logger';
export { StructuredLogger } from './logging/structured-logger';
export type { ErrorsOptions } from './errors/errors-options.interface';
export { ErrorTrackingService } from './errors/error-tracking.service';
export { ObservabilityExceptionFilter } from './errors/observability-exception.filter';
export type {
  CriticalAlertSink,
  CriticalErrorAlert,
  ErrorContext,
} from './errors/error-tracking.types';
export { initSentry } from './errors/init-sentry';
export type { SentryInitOptions } from './errors/init-sentry';
export { ReportService } from './reports/report.service';
export type { ReportServiceSettings } from './reports/report.service';
export { ReportRangeError } from './reports/report-range';
export type { ReportRangeInput } from './reports/report-range';
export { PrometheusApiError } from './reports/prometheus-api.client';
export type { Report, ReportKind } from './reports/report.types';
export type { ReportsOptions } from './reports/reports-options.interface';
