import { type Aggregator, AggregatorRegistry } from 'prom-client';
import { ActiveUsersTracker } from '../metrics/active-users.tracker';
import { MetricCatalog } from '../metrics/metric-catalog';
import { OVERFLOW_LABEL_VALUE } from '../observability.constants';
import {
  decodeValue,
  type WireActiveUsers,
  type WireMetric,
  type WireSample,
} from './cluster-metrics.protocol';

/** A metric ready to be rendered: prom-client's JSON shape with numeric values. @internal */
export interface AggregatedMetric {
  name: string;
  help: string;
  type: string;
  aggregator: Aggregator;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/** The answer of one worker to a scrape. @internal */
export interface WorkerMetrics {
  workerId: number;
  metrics: readonly WireMetric[];
  activeUsers: readonly WireActiveUsers[];
}

/** Every aggregation rule prom-client knows. */
export const AGGREGATORS: readonly Aggregator[] = ['sum', 'max', 'min', 'average', 'first', 'omit'];

/**
 * How the built-in gauges combine across workers, by name without prefix, where a sum would be
 * wrong. Every other metric follows its own prom-client `aggregator` hint, which is `sum` unless
 * set: counters, histograms and per-process gauges (`active_jobs_total`,
 * `http_requests_in_progress`) add up, and prom-client's default metrics carry their own hints
 * (`process_start_time_seconds` omitted, `nodejs_version_info` first, event-loop lag averaged).
 */
export const CLUSTER_AGGREGATION_RULES: Readonly<Record<string, Aggregator>> = {
  // Each worker reads the same queue from Redis: summing would count the backlog once per worker.
  [MetricCatalog.queueJobs.name]: 'max',
  [MetricCatalog.queueJobsWaiting.name]: 'max',
  [MetricCatalog.queueWaitTimeCurrent.name]: 'max',
  // 1 only when the check is up in every worker.
  [MetricCatalog.healthCheckStatus.name]: 'min',
  // Without the workers' sketches (see exposeToPrimary's `activeUsers`), the largest worker's
  // count is a lower bound of the distinct users, where a sum counts a user once per worker.
  [MetricCatalog.activeUsers.name]: 'max',
};

/** The rule of metric `name`: an explicit override, then the built-in rule, then its own hint. */
export function aggregatorOf(
  name: string,
  hint: unknown,
  prefix: string,
  overrides: Readonly<Record<string, Aggregator>>,
): Aggregator {
  if (Object.hasOwn(overrides, name)) return overrides[name];
  const bare = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  if (Object.hasOwn(CLUSTER_AGGREGATION_RULES, bare)) return CLUSTER_AGGREGATION_RULES[bare];
  return AGGREGATORS.includes(hint as Aggregator) ? (hint as Aggregator) : 'sum';
}

function decodeSamples(values: readonly WireSample[]): AggregatedMetric['values'] {
  return values.map((sample) => ({
    value: decodeValue(sample.value),
    labels: sample.labels,
    ...(sample.metricName === undefined ? {} : { metricName: sample.metricName }),
  }));
}

/**
 * The `active_users_total`-like gauges of the workers' sketches: one series per gauge, the
 * estimate of the max-merged sketch (each user counted once however many workers saw them),
 * with the help and labels the first worker's gauge had.
 */
function mergeActiveUsers(workers: readonly WorkerMetrics[]): Map<string, AggregatedMetric> {
  const snapshots = new Map<string, WireActiveUsers['snapshot'][]>();
  for (const worker of workers) {
    for (const { metric, snapshot } of worker.activeUsers) {
      const list = snapshots.get(metric) ?? [];
      list.push(snapshot);
      snapshots.set(metric, list);
    }
  }
  const merged = new Map<string, AggregatedMetric>();
  for (const [name, list] of snapshots) {
    let template: WireMetric | undefined;
    for (const worker of workers) {
      template ??= worker.metrics.find((metric) => metric.name === name);
    }
    const estimate = ActiveUsersTracker.estimateSnapshot(ActiveUsersTracker.mergeSnapshots(list));
    merged.set(name, {
      name,
      help: template?.help ?? MetricCatalog.activeUsers.help,
      type: 'gauge',
      aggregator: 'first',
      values: [{ value: estimate, labels: { ...template?.values[0]?.labels } }],
    });
  }
  return merged;
}

/**
 * Combines the workers' metrics into one exposition's worth: each metric by its rule (see
 * {@link aggregatorOf}, through prom-client's `AggregatorRegistry.aggregate`), and each gauge a
 * worker sent a sketch for replaced by the estimate of the merged sketches. Workers come in
 * ascending id order, so "first" means the lowest worker id.
 */
export async function aggregateWorkers(
  workers: readonly WorkerMetrics[],
  prefix: string,
  overrides: Readonly<Record<string, Aggregator>>,
): Promise<AggregatedMetric[]> {
  const ordered = [...workers].sort((a, b) => a.workerId - b.workerId);
  const sketched = mergeActiveUsers(ordered);
  const perWorker = ordered.map((worker) =>
    worker.metrics
      .filter((metric) => !sketched.has(metric.name))
      .map((metric) => ({
        name: metric.name,
        help: metric.help,
        type: metric.type,
        aggregator: aggregatorOf(metric.name, metric.aggregator, prefix, overrides),
        values: decodeSamples(metric.values),
      })),
  );
  const registry = AggregatorRegistry.aggregate(perWorker);
  const aggregated = (await registry.getMetricsAsJSON()) as unknown as AggregatedMetric[];
  return [...aggregated, ...sketched.values()];
}

/**
 * The part of a worker's answer that only grows: counters, histograms, and the `_sum`/`_count`
 * of summaries (not their quantiles), without gauges or sketches, which say what is true now.
 * It stands in for a worker that did not answer, so that the cluster's counters never go down:
 * Prometheus reads any decrease as a counter reset, and `rate()`/`increase()` would then count
 * the whole remaining total again as new.
 */
export function cumulativeOnly(worker: WorkerMetrics): WorkerMetrics {
  const metrics: WireMetric[] = [];
  for (const metric of worker.metrics) {
    if (metric.type === 'counter' || metric.type === 'histogram') metrics.push(metric);
    else if (metric.type === 'summary') {
      const values = metric.values.filter((sample) => sample.labels.quantile === undefined);
      metrics.push({ ...metric, values });
    }
  }
  return { workerId: worker.workerId, metrics, activeUsers: [] };
}

/**
 * `base` plus `added`, series by series (the cumulative metrics of exited workers, kept so the
 * cluster's counters do not drop when a worker dies). Its size is bounded by the number of
 * distinct series, not by the number of workers that ever exited.
 */
export function sumCumulative(
  base: readonly WireMetric[],
  added: readonly WireMetric[],
): WireMetric[] {
  const byName = new Map<string, { metric: WireMetric; samples: Map<string, WireSample> }>();
  const key = (sample: WireSample): string =>
    `${sample.metricName ?? ''}\u0002${seriesKey(sample.labels)}`;
  for (const metric of [...base, ...added]) {
    let entry = byName.get(metric.name);
    if (!entry) {
      entry = { metric: { ...metric, values: [] }, samples: new Map() };
      byName.set(metric.name, entry);
    }
    for (const sample of metric.values) {
      const existing = entry.samples.get(key(sample));
      if (existing) {
        existing.value = decodeValue(existing.value) + decodeValue(sample.value);
      } else {
        const copy = { ...sample, value: decodeValue(sample.value) };
        entry.samples.set(key(sample), copy);
        entry.metric.values.push(copy);
      }
    }
  }
  return [...byName.values()].map((entry) => entry.metric);
}

/** Labels that split one series into samples (a bucket, a quantile) rather than name a series. */
const SAMPLE_LABELS: Readonly<Record<string, string | undefined>> = {
  histogram: 'le',
  summary: 'quantile',
};

function seriesKey(labels: Record<string, string | number>, sampleLabel?: string): string {
  return Object.keys(labels)
    .filter((name) => name !== sampleLabel)
    .sort()
    .map((name) => `${name}\u0000${String(labels[name])}`)
    .join('\u0001');
}

/**
 * Bounds the series of one aggregated metric: past `maxSeries` label combinations (counted
 * without `le`/`quantile`, so a histogram series is one combination), the first `maxSeries` in
 * exposition order are kept and the others fold into one overflow series, whose values are
 * summed (or kept by `max`/`min` for a gauge combined that way). As `SeriesGuard` names it, the
 * overflow series has `__overflow__` for every label that varies across the metric's series;
 * a label with one value throughout (`service`, a default label) keeps it, so a worker's own
 * overflow series folds into the same one. A summary's quantiles cannot be added up, so the
 * overflow series of a summary has only `_sum` and `_count`.
 *
 * Returns the metric unchanged when it is within bounds, and how many series were folded.
 */
export function foldOverflow(
  metric: AggregatedMetric,
  maxSeries: number,
): { metric: AggregatedMetric; folded: number } {
  const sampleLabel = SAMPLE_LABELS[metric.type];
  const order: string[] = [];
  const seen = new Set<string>();
  for (const sample of metric.values) {
    const key = seriesKey(sample.labels, sampleLabel);
    if (!seen.has(key)) {
      seen.add(key);
      order.push(key);
    }
  }
  if (order.length <= maxSeries) return { metric, folded: 0 };

  // The overflow series' labels: `__overflow__` where the metric's series differ.
  const firstValue = new Map<string, string | number>();
  const varying = new Set<string>();
  const names = new Set<string>();
  for (const sample of metric.values) {
    for (const name of Object.keys(sample.labels)) names.add(name);
  }
  names.delete(sampleLabel ?? '');
  for (const sample of metric.values) {
    for (const name of names) {
      const value = sample.labels[name];
      if (value === undefined) varying.add(name);
      else if (!firstValue.has(name)) firstValue.set(name, value);
      else if (firstValue.get(name) !== value) varying.add(name);
    }
  }
  const overflowLabels: Record<string, string | number> = {};
  for (const name of names) {
    overflowLabels[name] = varying.has(name) ? OVERFLOW_LABEL_VALUE : firstValue.get(name)!;
  }
  const overflowKey = seriesKey(overflowLabels);

  const kept = new Set(order.slice(0, maxSeries));
  const combine =
    metric.type === 'gauge' && (metric.aggregator === 'max' || metric.aggregator === 'min')
      ? metric.aggregator === 'max'
        ? Math.max
        : Math.min
      : (a: number, b: number) => a + b;
  const values: AggregatedMetric['values'] = [];
  /** The overflow series' samples, by metric name and `le`. */
  const overflow = new Map<string, AggregatedMetric['values'][number]>();
  const sampleKey = (sample: AggregatedMetric['values'][number]): string =>
    `${sample.metricName ?? ''}\u0000${sampleLabel ? String(sample.labels[sampleLabel] ?? '') : ''}`;

  for (const sample of metric.values) {
    const key = seriesKey(sample.labels, sampleLabel);
    if (key === overflowKey) {
      // The overflow series itself (a worker's own, or one kept): its samples are the base.
      const copy = { ...sample, labels: { ...sample.labels } };
      const existing = overflow.get(sampleKey(sample));
      if (existing) existing.value = combine(existing.value, sample.value);
      else {
        overflow.set(sampleKey(sample), copy);
        values.push(copy);
      }
      continue;
    }
    if (kept.has(key)) {
      values.push(sample);
      continue;
    }
    if (sampleLabel === 'quantile' && sample.labels.quantile !== undefined) continue;
    const existing = overflow.get(sampleKey(sample));
    if (existing) {
      existing.value = combine(existing.value, sample.value);
    } else {
      const labels = { ...overflowLabels };
      if (sampleLabel && sample.labels[sampleLabel] !== undefined) {
        labels[sampleLabel] = sample.labels[sampleLabel];
      }
      const created = {
        value: sample.value,
        labels,
        ...(sample.metricName === undefined ? {} : { metricName: sample.metricName }),
      };
      overflow.set(sampleKey(sample), created);
      values.push(created);
    }
  }
  const folded = order.filter((key) => !kept.has(key) && key !== overflowKey).length;
  return { metric: { ...metric, values }, folded };
}
