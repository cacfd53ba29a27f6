import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { ActiveUsersTracker } from '../metrics/active-users.tracker';
import {
  type AggregatedMetric,
  aggregateWorkers,
  aggregatorOf,
  cumulativeOnly,
  foldOverflow,
  sumCumulative,
  type WorkerMetrics,
} from './cluster-aggregation';
import { decodeValue, toWireMetrics } from './cluster-metrics.protocol';

/** One worker's registry, shaped as its answer to a scrape crosses the IPC channel (JSON). */
async function answerOf(
  workerId: number,
  registry: Registry,
  activeUsers: WorkerMetrics['activeUsers'] = [],
): Promise<WorkerMetrics> {
  const metrics = JSON.parse(JSON.stringify(toWireMetrics(await registry.getMetricsAsJSON())));
  return { workerId, metrics, activeUsers: JSON.parse(JSON.stringify(activeUsers)) };
}

function workerRegistry(requests: number, durations: number[]): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'api' });
  const counter = new Counter({
    name: 'http_requests_total',
    help: 'requests',
    labelNames: ['route'],
    registers: [registry],
  });
  counter.inc({ route: '/a' }, requests);
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'durations',
    buckets: [0.1, 1],
    registers: [registry],
  });
  for (const d of durations) histogram.observe(d);
  return registry;
}

const value = (
  metrics: AggregatedMetric[],
  name: string,
  filter: (labels: Record<string, unknown>, metricName?: string) => boolean = () => true,
): number[] =>
  metrics
    .find((m) => m.name === name)!
    .values.filter((v) => filter(v.labels, v.metricName))
    .map((v) => v.value);

describe('aggregateWorkers', () => {
  it('sums counters and histograms across workers', async () => {
    const workers = [
      await answerOf(1, workerRegistry(3, [0.05, 0.5])),
      await answerOf(2, workerRegistry(4, [2])),
    ];
    const metrics = await aggregateWorkers(workers, '', {});
    expect(value(metrics, 'http_requests_total')).toEqual([7]);
    const hist = (metricName: string, le?: string | number) =>
      value(
        metrics,
        'http_request_duration_seconds',
        (labels, name) => name === metricName && (le === undefined || labels.le === le),
      );
    expect(hist('http_request_duration_seconds_count')).toEqual([3]);
    expect(hist('http_request_duration_seconds_sum')).toEqual([2.55]);
    expect(hist('http_request_duration_seconds_bucket', 0.1)).toEqual([1]);
    expect(hist('http_request_duration_seconds_bucket', 1)).toEqual([2]);
    expect(hist('http_request_duration_seconds_bucket', '+Inf')).toEqual([3]);
  });

  it('applies the gauge rules: sum by default, max for shared queue state, min for health', async () => {
    const registries = [5, 7].map((n, i) => {
      const registry = new Registry();
      const gauge = (name: string) =>
        new Gauge({ name, help: name, labelNames: ['queue_name', 'check'], registers: [registry] });
      gauge('app_active_jobs_total').set({ queue_name: 'q' }, n);
      gauge('app_queue_jobs_waiting').set({ queue_name: 'q' }, 100 + i);
      gauge('app_health_check_status').set({ check: 'redis' }, i);
      gauge('app_custom').set(n);
      return registry;
    });
    const workers = await Promise.all(registries.map((r, i) => answerOf(i + 1, r)));
    const metrics = await aggregateWorkers(workers, 'app_', { app_custom: 'average' });
    expect(value(metrics, 'app_active_jobs_total')).toEqual([12]);
    expect(value(metrics, 'app_queue_jobs_waiting')).toEqual([101]);
    expect(value(metrics, 'app_health_check_status')).toEqual([0]);
    expect(value(metrics, 'app_custom')).toEqual([6]);
  });

  it("follows prom-client's hints for its default metrics", async () => {
    const registries = [1, 2].map(() => {
      const registry = new Registry();
      collectDefaultMetrics({ register: registry });
      return registry;
    });
    const workers = await Promise.all(registries.map((r, i) => answerOf(i + 1, r)));
    const metrics = await aggregateWorkers(workers, '', {});
    const names = metrics.map((m) => m.name);
    expect(names).not.toContain('process_start_time_seconds'); // omit
    expect(value(metrics, 'nodejs_version_info')).toEqual([1]); // first, not 2
  });

  it('replaces the active-users gauge with the estimate of the merged sketches', async () => {
    const trackers = [
      ['u1', 'u2', 'u3'],
      ['u2', 'u3', 'u4', 'u5'],
    ].map((ids) => {
      const tracker = new ActiveUsersTracker(300);
      ids.forEach((id) => tracker.add(id));
      return tracker;
    });
    const workers = await Promise.all(
      trackers.map((tracker, i) => {
        const registry = new Registry();
        registry.setDefaultLabels({ service: 'api' });
        new Gauge({
          name: 'app_active_users_total',
          help: 'Distinct users.',
          registers: [registry],
          collect() {
            this.set(tracker.estimate());
          },
        });
        return answerOf(i + 1, registry, [
          { metric: 'app_active_users_total', snapshot: tracker.snapshot() },
        ]);
      }),
    );
    const metrics = await aggregateWorkers(workers, 'app_', {});
    const gauge = metrics.find((m) => m.name === 'app_active_users_total')!;
    expect(gauge).toMatchObject({ type: 'gauge', help: 'Distinct users.' });
    expect(gauge.values).toEqual([{ value: 5, labels: { service: 'api' } }]); // not 3 + 4
  });

  it('falls back to max for the active-users gauge of workers that send no sketch', async () => {
    const workers = await Promise.all(
      [3, 4].map((n, i) => {
        const registry = new Registry();
        new Gauge({ name: 'active_users_total', help: 'h', registers: [registry] }).set(n);
        return answerOf(i + 1, registry);
      }),
    );
    expect(value(await aggregateWorkers(workers, '', {}), 'active_users_total')).toEqual([4]);
  });

  it('carries non-finite values through JSON', async () => {
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'h', aggregator: 'max', registers: [registry] }).set(Infinity);
    const metrics = await aggregateWorkers([await answerOf(1, registry)], '', {});
    expect(value(metrics, 'g')).toEqual([Infinity]);
    expect(decodeValue('NaN')).toBeNaN();
  });

  it('treats an unknown aggregator hint as a sum rather than failing the scrape', async () => {
    const workers = await Promise.all(
      [1, 2].map(async (n) => {
        const answer = await answerOf(n, workerRegistry(n, []));
        answer.metrics.forEach((metric) => (metric.aggregator = 'median'));
        return answer;
      }),
    );
    expect(value(await aggregateWorkers(workers, '', {}), 'http_requests_total')).toEqual([3]);
  });
});

describe('aggregatorOf', () => {
  it('prefers an override, then the built-in rule (under the prefix), then the hint', () => {
    expect(aggregatorOf('x_queue_jobs', 'sum', 'x_', { x_queue_jobs: 'min' })).toBe('min');
    expect(aggregatorOf('x_queue_jobs', 'sum', 'x_', {})).toBe('max');
    expect(aggregatorOf('queue_jobs', 'sum', 'x_', {})).toBe('max');
    expect(aggregatorOf('x_other', 'average', 'x_', {})).toBe('average');
    expect(aggregatorOf('x_other', undefined, 'x_', {})).toBe('sum');
    expect(aggregatorOf('toString', undefined, '', {})).toBe('sum');
  });
});

describe('foldOverflow', () => {
  const counter = (series: Array<[string, number]>): AggregatedMetric => ({
    name: 'c_total',
    help: 'h',
    type: 'counter',
    aggregator: 'sum',
    values: series.map(([route, v]) => ({ value: v, labels: { route, service: 'api' } })),
  });

  it('leaves a metric within bounds untouched', () => {
    const metric = counter([
      ['/a', 1],
      ['/b', 2],
    ]);
    expect(foldOverflow(metric, 2)).toEqual({ metric, folded: 0 });
  });

  it('keeps the first N series and sums the rest into __overflow__, keeping constant labels', () => {
    const { metric, folded } = foldOverflow(
      counter([
        ['/a', 1],
        ['/b', 2],
        ['/c', 3],
        ['/d', 4],
      ]),
      2,
    );
    expect(folded).toBe(2);
    expect(metric.values).toEqual([
      { value: 1, labels: { route: '/a', service: 'api' } },
      { value: 2, labels: { route: '/b', service: 'api' } },
      { value: 7, labels: { route: '__overflow__', service: 'api' } },
    ]);
  });

  it("folds into a worker's own overflow series", () => {
    const { metric } = foldOverflow(
      counter([
        ['/a', 1],
        ['__overflow__', 10],
        ['/b', 2],
        ['/c', 3],
      ]),
      2,
    );
    expect(metric.values).toEqual([
      { value: 1, labels: { route: '/a', service: 'api' } },
      { value: 15, labels: { route: '__overflow__', service: 'api' } },
    ]);
  });

  it('counts a histogram series once and folds bucket by bucket', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['route'],
      buckets: [1],
      registers: [registry],
    });
    histogram.observe({ route: '/a' }, 0.5);
    histogram.observe({ route: '/b' }, 0.5);
    histogram.observe({ route: '/c' }, 2);
    const [json] = await aggregateWorkers([await answerOf(1, registry)], '', {});
    const { metric, folded } = foldOverflow(json, 1);
    expect(folded).toBe(2);
    const overflow = metric.values.filter((v) => v.labels.route === '__overflow__');
    expect(overflow).toEqual([
      { value: 1, labels: { route: '__overflow__', le: 1 }, metricName: 'h_bucket' },
      { value: 2, labels: { route: '__overflow__', le: '+Inf' }, metricName: 'h_bucket' },
      { value: 2.5, labels: { route: '__overflow__' }, metricName: 'h_sum' },
      { value: 2, labels: { route: '__overflow__' }, metricName: 'h_count' },
    ]);
    expect(metric.values.filter((v) => v.labels.route === '/a')).toHaveLength(4);
  });

  it("keeps only a summary overflow series' sum and count (quantiles do not add up)", async () => {
    const registry = new Registry();
    const summary = new Summary({
      name: 's',
      help: 's',
      labelNames: ['route'],
      percentiles: [0.5],
      registers: [registry],
    });
    summary.observe({ route: '/a' }, 1);
    summary.observe({ route: '/b' }, 2);
    summary.observe({ route: '/c' }, 3);
    const [json] = await aggregateWorkers([await answerOf(1, registry)], '', {});
    const { metric } = foldOverflow(json, 1);
    const overflow = metric.values.filter((v) => v.labels.route === '__overflow__');
    expect(overflow.map((v) => [v.metricName, v.value])).toEqual([
      ['s_sum', 5],
      ['s_count', 2],
    ]);
  });

  it('folds a max-combined gauge by max', () => {
    const { metric } = foldOverflow(
      {
        name: 'g',
        help: 'h',
        type: 'gauge',
        aggregator: 'max',
        values: [1, 5, 3].map((v, i) => ({ value: v, labels: { q: `q${i}` } })),
      },
      1,
    );
    expect(metric.values).toEqual([
      { value: 1, labels: { q: 'q0' } },
      { value: 5, labels: { q: '__overflow__' } },
    ]);
  });
});

describe('cumulative metrics of workers that did not answer', () => {
  async function answerWithEverything(workerId: number, requests: number): Promise<WorkerMetrics> {
    const registry = workerRegistry(requests, [0.5]);
    new Gauge({ name: 'g', help: 'h', registers: [registry] }).set(5);
    const summary = new Summary({
      name: 's',
      help: 'h',
      percentiles: [0.5],
      registers: [registry],
    });
    summary.observe(1);
    const tracker = new ActiveUsersTracker(300);
    tracker.add('u1');
    return answerOf(workerId, registry, [
      { metric: 'active_users_total', snapshot: tracker.snapshot() },
    ]);
  }

  it('keeps counters, histograms and summary sums and counts; drops gauges, quantiles, sketches', async () => {
    const cumulative = cumulativeOnly(await answerWithEverything(3, 2));
    expect(cumulative.workerId).toBe(3);
    expect(cumulative.activeUsers).toEqual([]);
    expect(cumulative.metrics.map((m) => m.name)).toEqual([
      'http_requests_total',
      'http_request_duration_seconds',
      's',
    ]);
    expect(cumulative.metrics[2].values.map((v) => v.metricName)).toEqual(['s_sum', 's_count']);
  });

  it('sums the cumulative metrics of exited workers series by series', async () => {
    const a = cumulativeOnly(await answerWithEverything(1, 2));
    const b = cumulativeOnly(await answerWithEverything(2, 5));
    const retired = sumCumulative(sumCumulative([], a.metrics), b.metrics);
    const metrics = await aggregateWorkers(
      [{ workerId: 9, metrics: retired, activeUsers: [] }],
      '',
      {},
    );
    expect(value(metrics, 'http_requests_total')).toEqual([7]);
    expect(
      value(
        metrics,
        'http_request_duration_seconds',
        (_, name) => name?.endsWith('_count') ?? false,
      ),
    ).toEqual([2]);
    expect(value(metrics, 's', (_, name) => name === 's_sum')).toEqual([2]);
    // As many series as one worker has, however many workers exited.
    expect(retired.map((m) => m.values.length)).toEqual(a.metrics.map((m) => m.values.length));
  });
});
