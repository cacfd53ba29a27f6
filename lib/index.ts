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
export { MetricsServer } from './metrics/metrics-server.service';
export { QueueMetricsService } from './queue/queue-metrics.service';
export { TrackJob } from './queue/track-job.decorator';
export type {
  QueueBacklog,
  TrackJobOptions,
  WatchableBullQueue,
} from './queue/queue-metrics.types';
export type { BullMqQueuesOptions, QueueMetricsOptions } from './queue/queue-options.interface';
export type { QueueFailureAlerter } from './queue/queue-failure-alerter.interface';
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
export { startTracing, stopTracing } from './tracing/start-tracing';
export type { TracingHandle, TracingInitOptions } from './tracing/start-tracing';
export type { TracingState } from './tracing/tracing-state';
export { Trace, setSpanAttributes } from './tracing/trace.decorator';
export type { TraceOptions } from './tracing/trace.decorator';
export { getTracer } from './tracing/span-runner';
export type {
  OtlpProtocol,
  TraceSampler,
  TracingInstrumentations,
  TracingOptions,
} from './tracing/tracing-options.interface';
export { tracingInstrument } from './tracing/tracing-instrument';
export type { TracingInstrumentOptions } from './tracing/tracing-instrument';
export type { SentryInitOptions } from './errors/init-sentry';
