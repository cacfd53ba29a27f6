import { MetricCatalog as M } from '../metrics/metric-catalog';
import { ruleQuery } from './alert-rules';
import { BUSINESS_RECORDING_DEFINITIONS } from './business-artifacts';
import type { ResolvedMonitoringArtifactsOptions } from './monitoring-artifacts-options.interface';
import { partRatio, type PromQL, quantile, successRatio } from './promql.builder';
import type { YamlValue } from './yaml.writer';
import { DATABASE_CACHE_RECORDINGS } from './database-cache-rules';

/** One recording rule: its name (after the prefix) and how to build its expression. */
interface RecordingDefinition {
  /** `level:metric:operations` (Prometheus naming), `{p}` standing for the prefix. */
  readonly record: string;
  readonly expr: (q: PromQL) => string;
}

/**
 * The expensive expressions of the dashboards and alerts, precomputed: success ratios,
 * latency percentiles and the hourly AI spend.
 */
export const RECORDING_DEFINITIONS: readonly RecordingDefinition[] = [
  {
    record: 'service:{p}generation_success:ratio_rate5m',
    expr: (q) => successRatio(q.sel(M.generationSuccess), q.sel(M.generationFailure), 'service'),
  },
  {
    record: 'service:{p}payment_success:ratio_rate5m',
    expr: (q) => successRatio(q.sel(M.paymentConversions), q.sel(M.paymentFailures), 'service'),
  },
  {
    record: 'service:{p}http_requests_errors:ratio_rate5m',
    expr: (q) =>
      partRatio(q.sel(M.httpRequests, '', 'status_code=~"5.."'), q.sel(M.httpRequests), 'service'),
  },
  {
    record: 'service:{p}http_request_duration_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.httpRequestDuration, '_bucket'), ['service']),
  },
  {
    record: 'service:{p}http_request_duration_seconds:p99_5m',
    expr: (q) => quantile(0.99, q.sel(M.httpRequestDuration, '_bucket'), ['service']),
  },
  {
    record: 'service_route:{p}http_request_duration_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.httpRequestDuration, '_bucket'), ['service', 'route']),
  },
  {
    record: 'service_queue_name:{p}queue_job_duration_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.queueJobDuration, '_bucket'), ['service', 'queue_name']),
  },
  {
    record: 'service_queue_name:{p}worker_queue_wait_time_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.queueWaitTime, '_bucket'), ['service', 'queue_name']),
  },
  {
    record: 'service_queue_name:{p}queue_jobs_failure:ratio_rate5m',
    expr: (q) =>
      successRatio(q.sel(M.queueFailures), q.sel(M.queueJobsCompleted), 'service, queue_name'),
  },
  {
    record: 'service_model:{p}ai_request_duration_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.aiRequestDuration, '_bucket'), ['service', 'model']),
  },
  {
    record: 'service:{p}ai_cost_cents:rate1h',
    expr: (q) => `sum by (service) (rate(${q.sel(M.aiCost)}[1h]))`,
  },
  ...BUSINESS_RECORDING_DEFINITIONS,
  ...DATABASE_CACHE_RECORDINGS,
];

/** `recording-rules.yml`: one group of every recording rule whose metrics are enabled. */
export function buildRecordingRules(options: ResolvedMonitoringArtifactsOptions): YamlValue {
  const rules: YamlValue[] = [];
  for (const definition of RECORDING_DEFINITIONS) {
    const q = ruleQuery(options);
    const expr = definition.expr(q);
    if ([...q.used].some((metric) => options.disabledMetrics.has(metric))) continue;
    rules.push({ record: definition.record.replace('{p}', options.prefix), expr });
  }
  return {
    groups: [
      { name: 'nestjs_observability_recording', interval: options.evaluationInterval, rules },
    ],
  };
}
