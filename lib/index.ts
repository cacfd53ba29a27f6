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
