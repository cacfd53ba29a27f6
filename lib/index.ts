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
export { OBSERVABILITY_ALERTING_SERVICE } from './observability.constants';
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
