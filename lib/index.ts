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
export { MetricCatalog, METRIC_DEFINITIONS } from './metrics/metric-catalog';
export type { MetricDefinition, MetricKind } from './metrics/metric-catalog';
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
export type {
  LogDestination,
  LoggingOptions,
  LogLevel,
  RequestUserContext,
} from './logging/logging-options.interface';
export { RequestContext } from './logging/request-context';
export type { RequestContextStore } from './logging/request-context';
export { useStructuredLogger } from './logging/use-structured-logger';
export { Logger, PinoLogger, InjectPinoLogger } from 'nestjs-pino';
export type { ErrorsOptions } from './errors/errors-options.interface';
export { ErrorTrackingService } from './errors/error-tracking.service';
export { ObservabilityExceptionFilter } from './errors/observability-exception.filter';
export { ALERTING_SERVICE_TOKEN } from './errors/error-tracking.types';
export type {
  CriticalAlertSink,
  CriticalErrorAlert,
  ErrorContext,
} from './errors/error-tracking.types';
export { initSentry } from './errors/init-sentry';
export type { SentryInitOptions } from './errors/init-sentry';
