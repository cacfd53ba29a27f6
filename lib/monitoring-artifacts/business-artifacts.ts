import { MetricCatalog as M } from '../metrics/metric-catalog';
import type { PromQL } from './promql.builder';
import type { AlertDefinition } from './alert-definition';

/*
 * The alerts, recording rules and dashboard of the money, usage, AI cost window and slow
 * request metrics. Each list is registered with one line next to the built-in ones (this file
 * imports none of them, so the import graph stays acyclic).
 */

/** The alerts on quotas, slow requests and the AI cost window gauges. */
export const BUSINESS_ALERT_DEFINITIONS: readonly AlertDefinition[] = [
  {
    name: 'QuotaExceeded',
    group: 'business_alerts',
    threshold: 90,
    ratio: false,
    for: '5m',
    severity: 'info',
    summary:
      'Quota {{ $labels.metric_type }} of plan {{ $labels.plan_type }} nearly used up ({{ $labels.service }})',
    description: '{{ $value | printf "%.0f" }}% of the quota is used',
    // One alert per series: with the tenant label, one per tenant.
    expr: (q, t) => `${q.sel(M.quotaUtilization)} > ${t}`,
  },
  {
    name: 'SlowRequests',
    group: 'business_alerts',
    threshold: 0.05,
    ratio: true,
    for: '5m',
    severity: 'warning',
    summary: 'Slow requests on {{ $labels.route }} ({{ $labels.service }})',
    description:
      '{{ $value | humanizePercentage }} of requests took longer than http.slowRequestThreshold over 5 minutes',
    expr: (q, t) =>
      `sum by (service, route) (rate(${q.sel(M.slowRequests)}[5m])) / ` +
      `sum by (service, route) (rate(${q.sel(M.httpRequests)}[5m])) > ${t}`,
  },
  {
    name: 'AICostAboveBaseline',
    group: 'business_alerts',
    threshold: 2,
    ratio: false,
    for: '5m',
    severity: 'critical',
    summary:
      'AI cost of the current {{ $labels.time_window }} window above its baseline ({{ $labels.service }})',
    description:
      'AI cost in the current window is {{ $value | printf "%.1f" }} times the average of the previous windows',
    // Summed over the processes of the service; no baseline yet means no alert.
    expr: (q, t) =>
      `sum by (service, time_window) (${q.sel(M.aiCostCurrent)}) / ` +
      `sum by (service, time_window) (${q.sel(M.aiCostBaseline)}) > ${t}`,
  },
];

/** Recording rules of the revenue and slow request metrics. */
export const BUSINESS_RECORDING_DEFINITIONS: readonly {
  readonly record: string;
  readonly expr: (q: PromQL) => string;
}[] = [
  {
    record: 'service_currency:{p}revenue:increase1h',
    expr: (q) => `sum by (service, currency) (increase(${q.sel(M.revenue)}[1h]))`,
  },
  {
    record: 'service_route:{p}slow_requests:ratio_rate5m',
    expr: (q) =>
      `sum by (service, route) (rate(${q.sel(M.slowRequests)}[5m])) / ` +
      `sum by (service, route) (rate(${q.sel(M.httpRequests)}[5m]))`,
  },
];

const OPENAI_ALIASES: ReadonlyMap<string, string> = new Map([
  [M.aiRequestDuration.name, M.openaiRequestDuration.name],
  [M.aiRequests.name, M.openaiRequests.name],
  [M.aiRequestErrors.name, M.openaiRequestErrors.name],
  [M.aiCost.name, M.openaiCost.name],
]);

/**
 * The names the rules and panels on the AI metrics read under `aiNaming`: with `'openai'`,
 * `openai_cost_cents` for `ai_cost_cents_total` and so on (`rate()` works on that gauge, which
 * only rises); `undefined` for the default names.
 */
export function aiNamingAliases(
  naming: 'default' | 'openai',
): ReadonlyMap<string, string> | undefined {
  return naming === 'openai' ? OPENAI_ALIASES : undefined;
}

const by = (labels: string, expr: string): string => `sum by (${labels}) (${expr})`;

/**
 * The money and usage dashboard: revenue, subscriptions, usage, quotas, AI cost windows and slow
 * requests. The AI requests themselves are on the AI Cost dashboard, under the names `aiNaming`
 * selects.
 */
export const BUSINESS_DASHBOARD = {
  file: 'money-and-usage.json',
  uid: 'nestjs-obs-money-usage',
  title: 'Money, Usage and AI Cost Windows',
  panels: [
    {
      title: 'Revenue by Currency (24h)',
      type: 'stat',
      unit: 'short',
      description: 'Revenue over the last 24 hours, in major units of each currency.',
      targets: (q: PromQL) => [
        {
          expr: by('currency', `increase(${q.sel(M.revenue)}[24h])`),
          legendFormat: '{{currency}}',
        },
      ],
    },
    {
      title: 'Active Subscriptions',
      type: 'stat',
      unit: 'short',
      targets: (q: PromQL) => [
        {
          expr: by('plan_type', `max by (service, plan_type) (${q.sel(M.subscriptionsActive)})`),
          legendFormat: '{{plan_type}}',
        },
      ],
    },
    {
      title: 'Revenue Rate by Plan',
      type: 'timeseries',
      unit: 'short',
      description: 'Revenue per hour, in major units, by plan and currency.',
      targets: (q: PromQL) => [
        {
          expr: by('plan_type, currency', `increase(${q.sel(M.revenue)}[1h])`),
          legendFormat: '{{plan_type}} {{currency}}',
        },
      ],
    },
    {
      title: 'Subscriptions Started / Cancelled',
      type: 'timeseries',
      unit: 'short',
      description: 'Per hour, by plan.',
      targets: (q: PromQL) => [
        {
          expr: by('plan_type', `increase(${q.sel(M.subscriptionsStarted)}[1h])`),
          legendFormat: 'started {{plan_type}}',
        },
        {
          expr: by('plan_type', `increase(${q.sel(M.subscriptionsCancelled)}[1h])`),
          legendFormat: 'cancelled {{plan_type}}',
        },
      ],
    },
    {
      title: 'Feature Usage',
      type: 'timeseries',
      unit: 'short',
      description: 'Uses per hour, by feature.',
      targets: (q: PromQL) => [
        {
          expr: by('feature', `increase(${q.sel(M.featureUsage)}[1h])`),
          legendFormat: '{{feature}}',
        },
      ],
    },
    {
      title: 'Usage by Metric Type',
      type: 'timeseries',
      unit: 'short',
      description: 'Metered usage per hour.',
      targets: (q: PromQL) => [
        {
          expr: by('metric_type', `increase(${q.sel(M.usage)}[1h])`),
          legendFormat: '{{metric_type}}',
        },
      ],
    },
    {
      title: 'Quota Utilization',
      type: 'timeseries',
      unit: 'percent',
      description: 'Highest utilization per metric type and plan; QuotaExceeded fires above 90 %.',
      targets: (q: PromQL) => [
        {
          expr: `max by (metric_type, plan_type) (${q.sel(M.quotaUtilization)})`,
          legendFormat: '{{metric_type}} {{plan_type}}',
        },
      ],
    },
    {
      title: 'AI Cost: Current Window vs Baseline',
      type: 'timeseries',
      unit: 'short',
      description: 'Cents in the current window and the average of the previous windows.',
      targets: (q: PromQL) => [
        {
          expr: by('time_window', q.sel(M.aiCostCurrent)),
          legendFormat: 'current {{time_window}}',
        },
        {
          expr: by('time_window', q.sel(M.aiCostBaseline)),
          legendFormat: 'baseline {{time_window}}',
        },
      ],
    },
    {
      title: 'Slow Requests',
      type: 'timeseries',
      unit: 'reqps',
      description: 'Requests slower than http.slowRequestThreshold, by route.',
      targets: (q: PromQL) => [
        {
          expr: by('route', `rate(${q.sel(M.slowRequests)}[5m])`),
          legendFormat: '{{route}}',
        },
      ],
    },
  ],
} as const;
