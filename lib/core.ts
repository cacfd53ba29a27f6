/**
 * `nestjs-observability/core`: monitoring for any Node process without Nest (bots, queue
 * workers, batch jobs, clusters, plain Express or Fastify servers). Loading it loads no
 * `@nestjs/*`, `reflect-metadata` or `rxjs` module.
 *
 * @packageDocumentation
 */
export { createMonitoring, Monitoring } from './core/monitoring';
export type { MonitoringOptions } from './core/monitoring';
export type { MonitoringMetrics } from './core/monitoring-metrics';
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
export { ClusterMetricsAggregator } from './cluster/cluster-metrics.aggregator';
export type {
  ClusterMetricsOptions,
  ClusterMetricsServerOptions,
} from './cluster/cluster-options.interface';
export { TrackDuration } from './decorators/track-duration.decorator';
export { CountCalls } from './decorators/count-calls.decorator';
export { TrackJob } from './queue/track-job.decorator';
export { traceJob, withTraceContext } from './queue/job-trace-context';
export type { TracedJobLike, WithTraceContext } from './queue/job-trace-context';
export type { CountCallsOptions, TrackDurationOptions } from './decorators/method-metric.types';
// Tracing starts before anything else is loaded: `startTracing()` is in `nestjs-observability/tracing`.
export { Trace, setSpanAttributes } from './tracing/trace.decorator';
export type { TraceOptions } from './tracing/trace.decorator';
export { getTracer } from './tracing/span-runner';
export type {
  OtlpProtocol,
  TraceSampler,
  TracingInstrumentations,
  TracingOptions,
} from './tracing/tracing-options.interface';
export type { TrackJobOptions, QueueBacklog } from './queue/queue-metrics.types';
export type {
  AiRequestEvent,
  AIRequestEvent,
  ErrorSeverity,
  KpiEvent,
  KpiType,
} from './metrics/kpi.types';
export type { QuotaEvent, RevenueEvent, UsageOptions } from './kpi/business-kpi.types';
export type { AlertingService } from './alerting/alerting.service';
export type { Alert, AlertInput, AlertSeverity } from './alerting/alert.types';
export type { AlertChannel } from './alerting/channels/alert-channel.interface';
export type { ErrorContext } from './errors/error-tracking.types';
export { ReportService } from './reports/report.service';
export type { ReportServiceSettings } from './reports/report.service';
export { ReportRangeError } from './reports/report-range';
export type { ReportRangeInput } from './reports/report-range';
export { PrometheusApiError } from './reports/prometheus-api.client';
export type { Report, ReportKind } from './reports/report.types';
export type { ReportsOptions } from './reports/reports-options.interface';
export type { DatabaseMetricsService } from './database/database-metrics.service';
export type { CacheMetricsService } from './cache/cache-metrics.service';
