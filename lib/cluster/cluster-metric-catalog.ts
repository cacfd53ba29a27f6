import type { MetricDefinition } from '../metrics/metric-catalog';

/** Why a worker was left out of a cluster scrape; the `reason` label of the scrape errors. */
export type ClusterScrapeErrorReason = 'timeout' | 'exit' | 'error' | 'invalid_response';

/** Every {@link ClusterScrapeErrorReason}, each series initialised at 0. */
export const CLUSTER_SCRAPE_ERROR_REASONS: readonly ClusterScrapeErrorReason[] = [
  'timeout',
  'exit',
  'error',
  'invalid_response',
];

/**
 * The metrics of the cluster primary itself, declared as data like `MetricCatalog` (whose
 * reference, alert rules and dashboards should read them too once the catalogs are joined).
 */
export const ClusterMetricCatalog = {
  scrapeErrors: {
    name: 'observability_cluster_scrape_errors_total',
    type: 'counter',
    help:
      'Workers left out of a cluster scrape, by reason: timeout (no answer within timeoutMs), ' +
      'exit (exited or disconnected mid-scrape), error (failed to collect, or unreachable), ' +
      'invalid_response (an answer of another format).',
    labelNames: ['reason'],
  },
} as const satisfies Record<string, MetricDefinition>;
