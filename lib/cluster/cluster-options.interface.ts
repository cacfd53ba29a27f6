import type { Aggregator, Registry } from 'prom-client';
import type { DiagnosticLogger } from '../logging/diagnostic-logger';
import type { ActiveUsersSnapshot } from '../metrics/active-users.tracker';

/**
 * Options of {@link ClusterMetricsAggregator}, the primary-process side of cluster metrics.
 *
 * @example
 * ```ts
 * const aggregator = new ClusterMetricsAggregator({ timeoutMs: 3000, prefix: 'myapp_' });
 * ```
 */
export interface ClusterMetricsOptions {
  /**
   * Longest time one scrape waits for the workers. A worker that has not answered by then is
   * left out of that scrape and counted in `observability_cluster_scrape_errors_total`
   * (`reason="timeout"`); the others' metrics are served. Keep it below Prometheus'
   * `scrape_timeout` (10 s by default).
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Most label combinations one metric keeps after the workers' series are aggregated; the rest
   * fold into one series whose varying labels are `__overflow__`, as `metrics.maxSeriesPerMetric`
   * bounds each worker.
   * @default 1000
   */
  maxSeriesPerMetric?: number;
  /**
   * How to combine a metric across workers, by full name (prefix included), over the built-in
   * rules: `sum`, `max`, `min`, `average`, `first` or `omit`.
   * @default {}
   */
  aggregators?: Readonly<Record<string, Aggregator>>;
  /**
   * The workers' `metrics.prefix`: the built-in gauges are recognised under it, and the
   * primary's own metric takes it.
   * @default ''
   */
  prefix?: string;
  /**
   * Labels added to the primary's own metric (the workers' series carry their own labels).
   * @default {}
   */
  defaultLabels?: Readonly<Record<string, string>>;
  /**
   * Where the aggregator reports a worker left out of a scrape or a folded metric (once each).
   * @default console
   */
  logger?: DiagnosticLogger;
}

/** {@link ClusterMetricsOptions} after validation. @internal */
export type ResolvedClusterMetricsOptions = Required<ClusterMetricsOptions>;

/** Where {@link ClusterMetricsAggregator.start} serves the aggregated metrics. */
export interface ClusterMetricsServerOptions {
  /**
   * Port of the primary's metrics server; `0` picks a free one (read it from `port`). The
   * workers must not serve metrics on it themselves: in a cluster, a worker's `listen()` is
   * shared through the primary.
   * @default 9091
   */
  port?: number;
  /**
   * Interface to bind.
   * @default '0.0.0.0'
   */
  host?: string;
  /**
   * Path of the metrics endpoint; any other path answers 404.
   * @default '/metrics'
   */
  path?: string;
}

/** Options of {@link exposeToPrimary}, the worker side of cluster metrics. */
export interface ExposeToPrimaryOptions {
  /**
   * Returns this worker's active-user sketch (`ActiveUsersTracker#snapshot`). The primary
   * merges the workers' sketches, so a user active on several workers counts once in
   * `active_users_total`, where summing the workers' gauges would count them once per worker.
   * @default undefined (the gauge is combined by `max`, a lower bound)
   */
  activeUsers?: () => ActiveUsersSnapshot;
  /**
   * Full name (prefix included) of the gauge the sketch replaces in the aggregated output.
   * @default 'active_users_total'
   */
  activeUsersMetric?: string;
  /**
   * Also add the registry to prom-client's own cluster list (`AggregatorRegistry.setRegistries`)
   * for a primary that calls prom-client's `clusterMetrics()`. That list is process-global and
   * prom-client cannot read it back, so the list set is prom-client's default global registry
   * plus every registry exposed with this flag: a `setRegistries()` call of your own must come
   * after, and include them. With `activeUsers`, the `activeUsersMetric` gauge (when already
   * registered) gets prom-client's `omit` hint, since prom-client would sum it.
   * @default false
   */
  promClientCluster?: boolean;
}

/** What {@link exposeToPrimary} returns. */
export interface ClusterExposure {
  /** Whether this process is a cluster worker, so the primary can reach the registry. */
  readonly active: boolean;
  /** The registry exposed. */
  readonly registry: Registry;
  /** Stops exposing the registry (call it on shutdown, so the IPC channel lets the worker exit). */
  close(): void;
}
