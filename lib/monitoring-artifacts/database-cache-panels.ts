import { MetricCatalog as M } from '../metrics/metric-catalog';
import { type PromQL, quantile, successRatio } from './promql.builder';

/** A panel as `grafana-dashboards.ts` reads it (`PanelDefinition`), declared here without importing it. */
interface DatabaseCachePanel {
  readonly title: string;
  readonly type: 'row' | 'stat' | 'timeseries' | 'gauge';
  readonly unit?: string;
  readonly description?: string;
  readonly thresholds?: readonly { color: string; value: number | null }[];
  readonly min?: number;
  readonly max?: number;
  readonly targets: (q: PromQL) => Array<{ expr: string; legendFormat?: string }>;
}

const by = (labels: string, expr: string): string => `sum by (${labels}) (${expr})`;

/** Red below the 70 % hit rate the `LowCacheHitRate` alert fires at. */
const HIT_RATE_THRESHOLDS = [
  { color: 'red', value: null },
  { color: 'yellow', value: 70 },
  { color: 'green', value: 90 },
] as const;

/** The Database and Cache rows of the Service Overview dashboard. */
export const DATABASE_CACHE_PANELS: readonly DatabaseCachePanel[] = [
  { title: 'Database', type: 'row', targets: () => [] },
  {
    title: 'Database Connections',
    type: 'timeseries',
    unit: 'short',
    description: 'Connections of each pool by state; waiting > 0 means the pool is exhausted.',
    targets: (q) => [
      {
        expr: by('pool, state', q.sel(M.databaseConnections, '', 'state=~"active|idle|waiting"')),
        legendFormat: '{{pool}} {{state}}',
      },
    ],
  },
  {
    title: 'Database Query Performance',
    type: 'timeseries',
    unit: 's',
    targets: (q) => [
      {
        expr: quantile(0.95, q.sel(M.databaseQueryDuration, '_bucket'), ['operation', 'table']),
        legendFormat: 'p95 {{operation}} {{table}}',
      },
      {
        expr: quantile(0.99, q.sel(M.databaseQueryDuration, '_bucket'), []),
        legendFormat: 'p99 all queries',
      },
    ],
  },
  {
    title: 'Database Errors',
    type: 'timeseries',
    unit: 'short',
    targets: (q) => [
      {
        expr: by('operation, error_type', `rate(${q.sel(M.databaseErrors)}[5m])`),
        legendFormat: '{{operation}} {{error_type}}',
      },
    ],
  },
  {
    title: 'Slow Queries',
    type: 'timeseries',
    unit: 'short',
    targets: (q) => [
      {
        expr: by('operation, table', `rate(${q.sel(M.databaseSlowQueries)}[5m])`),
        legendFormat: '{{operation}} {{table}}',
      },
    ],
  },
  { title: 'Cache', type: 'row', targets: () => [] },
  {
    title: 'Cache Hit Rate',
    type: 'gauge',
    unit: 'percent',
    min: 0,
    max: 100,
    thresholds: HIT_RATE_THRESHOLDS,
    targets: (q) => [
      {
        expr: `${successRatio(
          q.sel(M.cacheOperations, '', 'result="hit"'),
          q.sel(M.cacheOperations, '', 'result="miss"'),
          'cache',
        )} * 100`,
        legendFormat: '{{cache}}',
      },
    ],
  },
  {
    title: 'Cache Items',
    type: 'stat',
    unit: 'short',
    targets: (q) => [{ expr: by('cache', q.sel(M.cacheItems)), legendFormat: '{{cache}}' }],
  },
  {
    title: 'Cache Operations',
    type: 'timeseries',
    unit: 'ops',
    targets: (q) => [
      {
        expr: by('cache, operation, result', `rate(${q.sel(M.cacheOperations)}[5m])`),
        legendFormat: '{{cache}} {{operation}} {{result}}',
      },
    ],
  },
  {
    title: 'Cache Latency P95',
    type: 'timeseries',
    unit: 's',
    targets: (q) => [
      {
        expr: quantile(0.95, q.sel(M.cacheOperationDuration, '_bucket'), ['cache', 'operation']),
        legendFormat: '{{cache}} {{operation}}',
      },
    ],
  },
  {
    title: 'Cache Memory',
    type: 'timeseries',
    unit: 'bytes',
    targets: (q) => [{ expr: by('cache', q.sel(M.cacheSize)), legendFormat: '{{cache}}' }],
  },
];
