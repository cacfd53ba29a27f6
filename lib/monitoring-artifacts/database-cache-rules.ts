import { MetricCatalog as M } from '../metrics/metric-catalog';
import type { AlertDefinition } from './alert-definition';
import { type PromQL, quantile, successRatio } from './promql.builder';

const hitRatio = (q: PromQL): string =>
  successRatio(
    q.sel(M.cacheOperations, '', 'result="hit"'),
    q.sel(M.cacheOperations, '', 'result="miss"'),
    'service, cache',
  );

/**
 * The database and cache alerts: pool exhaustion, failing queries and a low cache hit ratio
 * with the service alerts, and the query latency percentiles in `database_performance`.
 */
export const DATABASE_CACHE_ALERTS: readonly AlertDefinition[] = [
  {
    name: 'DatabaseConnectionPoolExhausted',
    group: 'api_alerts',
    threshold: 5,
    ratio: false,
    for: '2m',
    severity: 'critical',
    summary: 'Database pool {{ $labels.pool }} is exhausted ({{ $labels.service }})',
    description: '{{ $value }} idle connections left and queries are waiting for a connection',
    expr: (q, t) =>
      `sum by (service, pool) (${q.sel(M.databaseConnections, '', 'state="idle"')}) < ${t}` +
      ` and sum by (service, pool) (${q.sel(M.databaseConnections, '', 'state="waiting"')}) > 0`,
  },
  {
    name: 'DatabaseConnectionFailures',
    group: 'api_alerts',
    threshold: 0.05,
    ratio: true,
    for: '5m',
    severity: 'critical',
    summary: 'Database errors are high on {{ $labels.service }}',
    description:
      'Failed queries and connections are {{ $value | humanizePercentage }} of database queries over 5 minutes',
    expr: (q, t) => {
      const errors = `sum by (service) (rate(${q.sel(M.databaseErrors)}[5m]))`;
      const queries = `sum by (service) (rate(${q.sel(M.databaseQueryDuration, '_count')}[5m]))`;
      // With no query at all (every connection fails) the ratio is +Inf, and still fires.
      return `${errors} / (${queries} or ${errors} * 0) > ${t}`;
    },
  },
  {
    name: 'LowCacheHitRate',
    group: 'api_alerts',
    threshold: 0.7,
    ratio: true,
    for: '10m',
    severity: 'warning',
    summary: 'Low hit rate of cache {{ $labels.cache }} ({{ $labels.service }})',
    description: 'Cache hit rate is {{ $value | humanizePercentage }} over 5 minutes',
    expr: (q, t) => `${hitRatio(q)} < ${t}`,
  },
  {
    name: 'SlowDatabaseQueries',
    group: 'database_performance',
    threshold: 0.5,
    ratio: false,
    for: '5m',
    severity: 'warning',
    summary: 'Database queries are slow on {{ $labels.service }}',
    description: 'P95 query time is {{ $value | humanizeDuration }}',
    expr: (q, t) =>
      `${quantile(0.95, q.sel(M.databaseQueryDuration, '_bucket'), ['service'])} > ${t}`,
  },
  {
    name: 'DatabaseQueryTimeout',
    group: 'database_performance',
    threshold: 2.5,
    ratio: false,
    for: '5m',
    severity: 'critical',
    summary: 'Database queries are close to timing out on {{ $labels.service }}',
    description: 'P99 query time is {{ $value | humanizeDuration }}',
    expr: (q, t) =>
      `${quantile(0.99, q.sel(M.databaseQueryDuration, '_bucket'), ['service'])} > ${t}`,
  },
];

/** The database and cache recording rules (`{p}` stands for the metric prefix). */
export const DATABASE_CACHE_RECORDINGS: ReadonlyArray<{
  readonly record: string;
  readonly expr: (q: PromQL) => string;
}> = [
  {
    record: 'service_cache:{p}cache_hit:ratio_rate5m',
    expr: hitRatio,
  },
  {
    record: 'service:{p}database_query_duration_seconds:p95_5m',
    expr: (q) => quantile(0.95, q.sel(M.databaseQueryDuration, '_bucket'), ['service']),
  },
  {
    record: 'service:{p}database_query_duration_seconds:p99_5m',
    expr: (q) => quantile(0.99, q.sel(M.databaseQueryDuration, '_bucket'), ['service']),
  },
  {
    record: 'service_operation_table:{p}database_query_duration_seconds:p95_5m',
    expr: (q) =>
      quantile(0.95, q.sel(M.databaseQueryDuration, '_bucket'), ['service', 'operation', 'table']),
  },
];
