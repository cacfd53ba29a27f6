import { MetricCatalog as M, type MetricDefinition } from '../metrics/metric-catalog';
import { aiNamingAliases, BUSINESS_DASHBOARD } from './business-artifacts';
import type { ResolvedMonitoringArtifactsOptions } from './monitoring-artifacts-options.interface';
import { partRatio, PromQL, quantile, successRatio, sumOrZero } from './promql.builder';
import { DATABASE_CACHE_PANELS } from './database-cache-panels';

/** The Grafana panel types the dashboards use. */
export type PanelType = 'stat' | 'timeseries' | 'gauge' | 'barchart' | 'row';

/** One query of a panel. */
interface TargetDefinition {
  readonly expr: string;
  readonly legendFormat?: string;
}

/** One panel as data. */
interface PanelDefinition {
  readonly title: string;
  readonly type: PanelType;
  readonly unit?: string;
  readonly description?: string;
  /** Grafana threshold steps, lowest first; the first has no value. */
  readonly thresholds?: readonly { color: string; value: number | null }[];
  readonly min?: number;
  readonly max?: number;
  /**
   * The panel's queries. A panel reading a disabled metric is left out, so a query that merely
   * improves on another metric asks `enabled` first.
   */
  readonly targets: (
    q: PromQL,
    enabled: (metric: MetricDefinition) => boolean,
  ) => TargetDefinition[];
}

/** One dashboard as data. */
interface DashboardDefinition {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly PanelDefinition[];
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
const by = (labels: string, expr: string): string => `sum by (${labels}) (${expr})`;

/** Success-rate gauge thresholds: green from 95 %, yellow from 90 %, red below. */
const SUCCESS_THRESHOLDS = [
  { color: 'red', value: null },
  { color: 'yellow', value: 90 },
  { color: 'green', value: 95 },
] as const;

/**
 * The dashboards: Service Overview, Business KPIs and Queue Monitoring (with the totals, queue
 * and runtime panels), and AI Cost.
 */
export const DASHBOARD_DEFINITIONS: readonly DashboardDefinition[] = [
  {
    file: 'service-overview.json',
    uid: 'nestjs-obs-overview',
    title: 'Service Overview',
    panels: [
      {
        title: 'Active Users',
        type: 'stat',
        unit: 'short',
        targets: (q) => [{ expr: `sum(${q.sel(M.activeUsers)})` }],
      },
      {
        title: 'Targets Up',
        type: 'stat',
        unit: 'short',
        targets: (q) => [{ expr: `sum(${q.up()})` }],
      },
      {
        title: 'Request Rate',
        type: 'timeseries',
        unit: 'reqps',
        targets: (q) => [
          { expr: sumOrZero(`rate(${q.sel(M.httpRequests)}[5m])`), legendFormat: 'Total' },
          {
            expr: by('service', `rate(${q.sel(M.httpRequests)}[5m])`),
            legendFormat: '{{service}}',
          },
        ],
      },
      {
        title: 'Error Rate',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          { expr: sumOrZero(`rate(${q.sel(M.errors)}[5m])`), legendFormat: 'Total Errors' },
          {
            expr: sumOrZero(`rate(${q.sel(M.errors, '', 'severity="critical"')}[5m])`),
            legendFormat: 'Critical',
          },
        ],
      },
      {
        title: 'P95 Response Time',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: quantile(0.95, q.sel(M.httpRequestDuration, '_bucket'), ['route']),
            legendFormat: '{{route}}',
          },
        ],
      },
      {
        title: 'P99 Response Time',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: quantile(0.99, q.sel(M.httpRequestDuration, '_bucket'), ['route']),
            legendFormat: '{{route}}',
          },
        ],
      },
      {
        title: 'HTTP 5xx Ratio',
        type: 'timeseries',
        unit: 'percent',
        targets: (q) => [
          {
            expr: `${partRatio(q.sel(M.httpRequests, '', 'status_code=~"5.."'), q.sel(M.httpRequests))} * 100`,
            legendFormat: '5xx',
          },
        ],
      },
      {
        title: 'Requests In Progress',
        type: 'timeseries',
        unit: 'short',
        description:
          'Requests in flight at each scrape; 0 for a route that served requests but had none in flight at any scrape yet.',
        // The gauge gets a route's series at the first scrape that finds one of its requests in
        // flight: until then the route reads 0 from its request counter.
        targets: (q, enabled) => [
          {
            expr: enabled(M.httpRequests)
              ? `${by('route', q.sel(M.httpRequestsInProgress))} or ` +
                `${by('route', q.sel(M.httpRequests))} * 0`
              : by('route', q.sel(M.httpRequestsInProgress)),
            legendFormat: '{{route}}',
          },
        ],
      },
      {
        title: 'Resident Memory',
        type: 'timeseries',
        unit: 'bytes',
        targets: (q) => [
          {
            expr: by('service, instance', q.raw('process_resident_memory_bytes')),
            legendFormat: '{{service}} {{instance}}',
          },
        ],
      },
      ...DATABASE_CACHE_PANELS,
    ],
  },
  {
    file: 'business-kpis.json',
    uid: 'nestjs-obs-business-kpis',
    title: 'Business KPIs',
    panels: [
      {
        title: 'Generation Success Rate',
        type: 'gauge',
        unit: 'percent',
        min: 0,
        max: 100,
        thresholds: SUCCESS_THRESHOLDS,
        targets: (q) => [
          {
            expr: `${successRatio(q.sel(M.generationSuccess), q.sel(M.generationFailure), 'service')} * 100`,
            legendFormat: '{{service}}',
          },
        ],
      },
      {
        title: 'Payment Success Rate',
        type: 'gauge',
        unit: 'percent',
        min: 0,
        max: 100,
        thresholds: SUCCESS_THRESHOLDS,
        targets: (q) => [
          {
            expr: `${successRatio(q.sel(M.paymentConversions), q.sel(M.paymentFailures), 'service')} * 100`,
            legendFormat: '{{service}}',
          },
        ],
      },
      {
        title: 'Total Generations',
        type: 'stat',
        unit: 'short',
        targets: (q) => [{ expr: sumOrZero(q.sel(M.generationSuccess)) }],
      },
      {
        title: 'Tokens Spent',
        type: 'stat',
        unit: 'short',
        targets: (q) => [{ expr: sumOrZero(q.sel(M.tokenSpend)) }],
      },
      {
        title: 'Successful Payments',
        type: 'stat',
        unit: 'short',
        targets: (q) => [{ expr: sumOrZero(q.sel(M.paymentConversions)) }],
      },
      {
        title: 'Token Spend Rate',
        type: 'timeseries',
        unit: 'short',
        description: 'Tokens per hour.',
        targets: (q) => [
          {
            expr: `${sumOrZero(`rate(${q.sel(M.tokenSpend)}[1h])`)} * 3600`,
            legendFormat: 'Tokens/hour',
          },
        ],
      },
      {
        title: 'Payment Conversions',
        type: 'barchart',
        unit: 'short',
        targets: (q) => [
          {
            expr: sumOrZero(`increase(${q.sel(M.paymentConversions)}[24h])`),
            legendFormat: 'Last 24h',
          },
          {
            expr: by('plan', `increase(${q.sel(M.paymentConversions)}[24h])`),
            legendFormat: '{{plan}}',
          },
        ],
      },
      {
        title: 'Generation Failures by Error Type',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          {
            expr: by('error_type', `rate(${q.sel(M.generationFailure)}[5m])`),
            legendFormat: '{{error_type}}',
          },
        ],
      },
    ],
  },
  {
    file: 'queue-monitoring.json',
    uid: 'nestjs-obs-queues',
    title: 'Queue Monitoring',
    panels: [
      {
        title: 'Active Jobs',
        type: 'timeseries',
        unit: 'short',
        description:
          'Jobs being processed: the count read from a watched BullMQ queue (every watcher reads the same queue, hence max), else the sum of the jobs the processes run (@TrackJob and hand-recorded jobs).',
        targets: (q, enabled) => [
          {
            expr: enabled(M.queueJobs)
              ? `max by (queue_name) (${q.sel(M.queueJobs, '', 'state="active"')}) or ` +
                by('queue_name', q.sel(M.activeJobs))
              : by('queue_name', q.sel(M.activeJobs)),
            legendFormat: '{{queue_name}}',
          },
        ],
      },
      {
        title: 'Job Duration (P95)',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: quantile(0.95, q.sel(M.queueJobDuration, '_bucket'), ['queue_name']),
            legendFormat: '{{queue_name}}',
          },
        ],
      },
      {
        title: 'Queue Failure Rate',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          {
            expr: by('queue_name', `rate(${q.sel(M.queueFailures)}[5m])`),
            legendFormat: '{{queue_name}}',
          },
        ],
      },
      {
        title: 'Jobs Completed Rate',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          {
            expr: by('queue_name', `rate(${q.sel(M.queueJobsCompleted)}[5m])`),
            legendFormat: '{{queue_name}}',
          },
        ],
      },
      {
        title: 'Jobs Waiting',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          { expr: by('queue_name', q.sel(M.queueJobsWaiting)), legendFormat: '{{queue_name}}' },
        ],
      },
      {
        title: 'Oldest Job Wait Time',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: `max by (queue_name) (${q.sel(M.queueWaitTimeCurrent)})`,
            legendFormat: '{{queue_name}}',
          },
        ],
      },
      {
        title: 'Queue Wait Time (P95)',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: quantile(0.95, q.sel(M.queueWaitTime, '_bucket'), ['queue_name']),
            legendFormat: '{{queue_name}}',
          },
        ],
      },
    ],
  },
  {
    file: 'ai-cost.json',
    uid: 'nestjs-obs-ai-cost',
    title: 'AI Cost',
    panels: [
      {
        title: 'AI Cost (USD)',
        type: 'stat',
        unit: 'currencyUSD',
        description: 'Cost of AI provider requests since the processes started.',
        targets: (q) => [{ expr: `${sumOrZero(q.sel(M.aiCost))} / 100` }],
      },
      {
        title: 'Token Cost (USD)',
        type: 'stat',
        unit: 'currencyUSD',
        description: 'Cost of tokens from the pricing table since the processes started.',
        targets: (q) => [{ expr: sumOrZero(q.sel(M.tokenCost)) }],
      },
      {
        title: 'AI Cost Rate vs Baseline',
        type: 'timeseries',
        unit: 'short',
        description:
          'Cents per hour over the last hour, and the previous day average it is compared with by CostSpikeDetected.',
        targets: (q) => [
          { expr: `sum(rate(${q.sel(M.aiCost)}[1h])) * 3600`, legendFormat: 'Last hour' },
          {
            expr: `sum(rate(${q.sel(M.aiCost)}[1d] offset 1h)) * 3600`,
            legendFormat: 'Baseline (previous day)',
          },
        ],
      },
      {
        title: 'Token Cost by Model',
        type: 'timeseries',
        unit: 'currencyUSD',
        description: 'US dollars per hour.',
        targets: (q) => [
          {
            expr: `${by('model', `rate(${q.sel(M.tokenCost)}[1h])`)} * 3600`,
            legendFormat: '{{model}}',
          },
        ],
      },
      {
        title: 'Tokens by Model',
        type: 'barchart',
        unit: 'short',
        targets: (q) => [
          { expr: by('model, type', q.sel(M.tokenSpend)), legendFormat: '{{model}} {{type}}' },
        ],
      },
      {
        title: 'AI Requests',
        type: 'timeseries',
        unit: 'reqps',
        targets: (q) => [
          {
            expr: by('model, status', `rate(${q.sel(M.aiRequests)}[5m])`),
            legendFormat: '{{model}} {{status}}',
          },
        ],
      },
      {
        title: 'AI Request Duration (P95)',
        type: 'timeseries',
        unit: 's',
        targets: (q) => [
          {
            expr: quantile(0.95, q.sel(M.aiRequestDuration, '_bucket'), ['model']),
            legendFormat: '{{model}}',
          },
        ],
      },
      {
        title: 'AI Errors by Type',
        type: 'timeseries',
        unit: 'short',
        targets: (q) => [
          {
            expr: by('error_type', `rate(${q.sel(M.aiRequestErrors)}[5m])`),
            legendFormat: '{{error_type}}',
          },
        ],
      },
    ],
  },
  BUSINESS_DASHBOARD,
];

const WIDTH: Record<PanelType, number> = {
  stat: 6,
  gauge: 6,
  timeseries: 12,
  barchart: 12,
  row: 24,
};
const HEIGHT: Record<PanelType, number> = { stat: 5, gauge: 7, timeseries: 8, barchart: 8, row: 1 };

/** Lays panels left to right on Grafana's 24-column grid. */
function layout(types: PanelType[]): { x: number; y: number; w: number; h: number }[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return types.map((type) => {
    const w = WIDTH[type];
    const h = HEIGHT[type];
    // A row starts a new line of its own.
    if (x + w > 24 || (type === 'row' && x > 0)) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const position = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return position;
  });
}

function panelJson(
  panel: PanelDefinition,
  targets: TargetDefinition[],
  id: number,
  gridPos: { x: number; y: number; w: number; h: number },
): Record<string, unknown> {
  if (panel.type === 'row') {
    return {
      id,
      type: 'row',
      title: panel.title,
      collapsed: false,
      datasource: DATASOURCE,
      gridPos,
      panels: [],
      targets: [],
    };
  }
  const instant = panel.type !== 'timeseries';
  return {
    id,
    type: panel.type,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    targets: targets.map((target, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: target.expr,
      legendFormat: target.legendFormat ?? '__auto',
      range: !instant,
      instant,
      ...(panel.type === 'barchart' ? { format: 'table' } : {}),
    })),
    fieldConfig: {
      defaults: {
        unit: panel.unit,
        min: panel.min,
        max: panel.max,
        thresholds: {
          mode: 'absolute',
          steps: panel.thresholds ?? [{ color: 'green', value: null }],
        },
        color: { mode: panel.thresholds ? 'thresholds' : 'palette-classic' },
      },
      overrides: [],
    },
    options:
      panel.type === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

/** The dashboards' expression builder: prefix, and the `$service` variable. */
export function dashboardQuery(options: ResolvedMonitoringArtifactsOptions): PromQL {
  return new PromQL(options.prefix, 'service=~"$service"', aiNamingAliases(options.aiNaming));
}

/** One generated dashboard: its file name and JSON model. */
export interface GeneratedDashboard {
  file: string;
  model: Record<string, unknown>;
}

/**
 * The Grafana dashboards (JSON models for Grafana 10+), with a `datasource` variable of type
 * Prometheus and a `service` variable listing every `service` label value. Panels reading a
 * disabled metric are left out.
 */
export function buildDashboards(options: ResolvedMonitoringArtifactsOptions): GeneratedDashboard[] {
  return DASHBOARD_DEFINITIONS.map((dashboard) => {
    const panels = dashboard.panels.flatMap((panel) => {
      const q = dashboardQuery(options);
      const targets = panel.targets(q, (metric) => !options.disabledMetrics.has(metric.name));
      return [...q.used].some((metric) => options.disabledMetrics.has(metric))
        ? []
        : [{ panel, targets }];
    });
    const positions = layout(panels.map(({ panel }) => panel.type));
    const current =
      options.service === undefined
        ? { selected: true, text: ['All'], value: ['$__all'] }
        : { selected: true, text: [options.service], value: [options.service] };
    return {
      file: dashboard.file,
      model: {
        __requires: [
          { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
          { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
        ],
        annotations: { list: [] },
        description: `Generated by nestjs-observability from its metric catalog${
          options.prefix ? ` (prefix "${options.prefix}")` : ''
        }.`,
        editable: true,
        fiscalYearStartMonth: 0,
        graphTooltip: 1,
        id: null,
        links: [],
        panels: panels.map(({ panel, targets }, index) =>
          panelJson(panel, targets, index + 1, positions[index]),
        ),
        refresh: '30s',
        schemaVersion: 39,
        tags: ['nestjs-observability'],
        templating: {
          list: [
            {
              name: 'datasource',
              label: 'Data source',
              type: 'datasource',
              query: 'prometheus',
              current: {},
              hide: 0,
              includeAll: false,
              multi: false,
              refresh: 1,
              regex: '',
              options: [],
            },
            {
              name: 'service',
              label: 'Service',
              type: 'query',
              datasource: DATASOURCE,
              definition: 'label_values(service)',
              query: {
                query: 'label_values(service)',
                refId: 'PrometheusVariableQueryEditor-VariableQuery',
              },
              current,
              hide: 0,
              includeAll: true,
              allValue: '.*',
              multi: true,
              refresh: 2,
              regex: '',
              sort: 1,
              options: [],
            },
          ],
        },
        time: { from: 'now-6h', to: 'now' },
        timepicker: {},
        timezone: 'browser',
        title: dashboard.title,
        uid: options.prefix
          ? `${dashboard.uid}-${options.prefix.replace(/[^a-zA-Z0-9-]/g, '')}`
          : dashboard.uid,
        version: 1,
        weekStart: '',
      },
    };
  });
}
