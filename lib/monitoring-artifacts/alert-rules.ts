import { MetricCatalog as M } from '../metrics/metric-catalog';
import { aiNamingAliases, BUSINESS_ALERT_DEFINITIONS } from './business-artifacts';
import type {
  AlertName,
  ResolvedMonitoringArtifactsOptions,
} from './monitoring-artifacts-options.interface';
import { partRatio, PromQL, promqlString, quantile, successRatio } from './promql.builder';
import { DATABASE_CACHE_ALERTS } from './database-cache-rules';
import type { AlertDefinition } from './alert-definition';
import type { YamlValue } from './yaml.writer';

/** Metrics of prom-client's default collector that the rules read (they carry the prefix too). */
export const PROCESS_METRICS = ['process_resident_memory_bytes'] as const;

export type { AlertDefinition } from './alert-definition';

const rate5m = (selector: string): string => `sum by (service) (rate(${selector}[5m]))`;

/**
 * The generated alerts: service health, business KPIs and AI cost, and the API latency, job
 * and memory alerts that apply to a NestJS service. Every expression groups by `service`, so
 * one alert fires per service.
 */
export const ALERT_DEFINITIONS: readonly AlertDefinition[] = [
  {
    name: 'HighErrorRate',
    group: 'service_alerts',
    threshold: 10,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'High error rate detected on {{ $labels.service }}',
    description: 'Error rate is {{ $value | printf "%.2f" }} errors/sec',
    expr: (q, t) => `${rate5m(q.sel(M.errors))} > ${t}`,
  },
  {
    name: 'CriticalErrorRate',
    group: 'service_alerts',
    threshold: 1,
    ratio: false,
    for: '1m',
    severity: 'critical',
    summary: 'Critical errors detected on {{ $labels.service }}',
    description: 'Critical error rate: {{ $value | printf "%.2f" }}/sec',
    expr: (q, t) => `${rate5m(q.sel(M.errors, '', 'severity="critical"'))} > ${t}`,
  },
  {
    name: 'HighQueueFailureRate',
    group: 'service_alerts',
    threshold: 5,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'High queue failure rate on {{ $labels.service }}',
    description: 'Queue failure rate: {{ $value | printf "%.2f" }}/sec',
    expr: (q, t) => `${rate5m(q.sel(M.queueFailures))} > ${t}`,
  },
  {
    name: 'PaymentFailures',
    group: 'service_alerts',
    threshold: 3,
    ratio: false,
    for: '1m',
    severity: 'critical',
    summary: 'Payment failures detected on {{ $labels.service }}',
    // increase() extrapolates to the window's edges: 50.847… failures print as 51.
    description: '{{ $value | printf "%.0f" }} payment failures in the last 5 minutes',
    expr: (q, t) => `sum by (service) (increase(${q.sel(M.paymentFailures)}[5m])) > ${t}`,
  },
  {
    name: 'LowGenerationSuccessRate',
    group: 'service_alerts',
    threshold: 0.9,
    ratio: true,
    for: '10m',
    severity: 'warning',
    summary: 'Low generation success rate on {{ $labels.service }}',
    description: 'Success rate is {{ $value | humanizePercentage }}',
    expr: (q, t) =>
      `${successRatio(q.sel(M.generationSuccess), q.sel(M.generationFailure), 'service')} < ${t}`,
  },
  {
    name: 'HighResponseTime',
    group: 'service_alerts',
    threshold: 2,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'High response time on {{ $labels.route }} ({{ $labels.service }})',
    description: 'P95 response time is {{ $value | humanizeDuration }}',
    expr: (q, t) =>
      `${quantile(0.95, q.sel(M.httpRequestDuration, '_bucket'), ['service', 'route'])} > ${t}`,
  },
  {
    name: 'ServiceDown',
    group: 'service_alerts',
    threshold: undefined,
    ratio: false,
    for: '1m',
    severity: 'critical',
    summary: 'Service {{ $labels.service }} is down',
    description: '{{ $labels.instance }} has been down for more than 1 minute',
    expr: (q) => `${q.up()} == 0`,
  },
  {
    name: 'QueueWaitTimeHigh',
    group: 'kpi_alerts',
    threshold: 60,
    ratio: false,
    for: '2m',
    severity: 'critical',
    summary: 'Jobs wait too long in queue {{ $labels.queue_name }} ({{ $labels.service }})',
    description: 'The oldest waiting job has waited {{ $value | humanizeDuration }}',
    expr: (q, t) => `max by (service, queue_name) (${q.sel(M.queueWaitTimeCurrent)}) > ${t}`,
  },
  {
    name: 'ErrorRateHigh',
    group: 'kpi_alerts',
    threshold: 0.01,
    ratio: true,
    for: '5m',
    severity: 'critical',
    summary: 'HTTP error rate above threshold on {{ $labels.service }}',
    description: '{{ $value | humanizePercentage }} of requests answered 5xx over 5 minutes',
    expr: (q, t) =>
      `${partRatio(q.sel(M.httpRequests, '', 'status_code=~"5.."'), q.sel(M.httpRequests), 'service')} > ${t}`,
  },
  {
    name: 'CostSpikeDetected',
    group: 'kpi_alerts',
    threshold: 2,
    ratio: false,
    for: '5m',
    severity: 'critical',
    summary: 'AI cost spike on {{ $labels.service }}',
    description:
      'AI spend over the last hour is {{ $value | printf "%.1f" }} times its average of the previous day',
    // The baseline ends an hour ago, so the spike does not raise its own baseline. A service
    // without cost history has no baseline and does not alert; one that had zero cost does.
    expr: (q, t) => {
      const cost = q.sel(M.aiCost);
      return (
        `sum by (service) (rate(${cost}[1h])) / ` +
        `sum by (service) (rate(${cost}[1d] offset 1h)) > ${t}`
      );
    },
  },
  {
    name: 'HighAPILatencyP95',
    group: 'api_alerts',
    threshold: 1,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'P95 API latency is high on {{ $labels.service }}',
    description: 'P95 latency is {{ $value | humanizeDuration }}',
    expr: (q, t) =>
      `${quantile(0.95, q.sel(M.httpRequestDuration, '_bucket'), ['service'])} > ${t}`,
  },
  {
    name: 'HighAPILatencyP99',
    group: 'api_alerts',
    threshold: 3,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'P99 API latency is high on {{ $labels.service }}',
    description: 'P99 latency is {{ $value | humanizeDuration }}',
    expr: (q, t) =>
      `${quantile(0.99, q.sel(M.httpRequestDuration, '_bucket'), ['service'])} > ${t}`,
  },
  {
    name: 'BackgroundJobFailures',
    group: 'api_alerts',
    threshold: 0.1,
    ratio: true,
    for: '5m',
    severity: 'warning',
    summary: 'Background jobs of {{ $labels.queue_name }} fail ({{ $labels.service }})',
    description: '{{ $value | humanizePercentage }} of finished jobs failed over 5 minutes',
    expr: (q, t) =>
      `${successRatio(q.sel(M.queueFailures), q.sel(M.queueJobsCompleted), 'service, queue_name')} > ${t}`,
  },
  {
    name: 'HighMemoryUsage',
    group: 'api_alerts',
    threshold: 0.9,
    ratio: true,
    for: '5m',
    severity: 'warning',
    summary: 'High memory usage on {{ $labels.service }} ({{ $labels.instance }})',
    description: 'Resident memory is {{ $value | humanizePercentage }} of the configured limit',
    expr: (q, t, options) =>
      `max by (service, instance) (${q.raw('process_resident_memory_bytes')}) / ${options.memoryLimitBytes} > ${t}`,
  },
  ...BUSINESS_ALERT_DEFINITIONS,
  ...DATABASE_CACHE_ALERTS,
];

/** The alert definition named `name`. */
export function alertDefinition(name: AlertName): AlertDefinition {
  return ALERT_DEFINITIONS.find((definition) => definition.name === name)!;
}

/** A new expression builder scoped as the rules are: prefix, and the one service if set. */
export function ruleQuery(options: ResolvedMonitoringArtifactsOptions): PromQL {
  return new PromQL(
    options.prefix,
    options.service === undefined ? undefined : `service=${promqlString(options.service)}`,
    aiNamingAliases(options.aiNaming),
  );
}

function runbook(name: AlertName, options: ResolvedMonitoringArtifactsOptions): string | undefined {
  const own = options.alerts[name]?.runbookUrl;
  if (own) return own;
  return options.runbookUrl ? `${options.runbookUrl.replace(/\/+$/, '')}/${name}` : undefined;
}

/**
 * `alerts.yml`: the Prometheus rule groups of every enabled alert whose metrics are enabled.
 */
export function buildAlertRules(options: ResolvedMonitoringArtifactsOptions): YamlValue {
  const groups = new Map<string, YamlValue[]>();
  for (const definition of ALERT_DEFINITIONS) {
    const override = options.alerts[definition.name] ?? {};
    if (override.enabled === false) continue;
    const q = ruleQuery(options);
    const expr = definition.expr(q, override.threshold ?? definition.threshold ?? 0, options);
    if ([...q.used].some((metric) => options.disabledMetrics.has(metric))) continue;
    const rules = groups.get(definition.group) ?? [];
    groups.set(definition.group, rules);
    rules.push({
      alert: definition.name,
      expr,
      for: override.for ?? definition.for,
      labels: { severity: override.severity ?? definition.severity },
      annotations: {
        summary: definition.summary,
        description: definition.description,
        runbook_url: runbook(definition.name, options),
      },
    });
  }
  return {
    groups: [...groups].map(([name, rules]) => ({
      name,
      interval: options.evaluationInterval,
      rules,
    })),
  };
}
