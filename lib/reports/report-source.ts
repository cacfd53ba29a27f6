import type { Registry } from 'prom-client';
import { promqlString } from '../monitoring-artifacts/promql.builder';
import type { PrometheusApiClient, VectorSeries } from './prometheus-api.client';
import type { ReportRange } from './report-range';

/** One series of a report input: its labels and a number. */
export interface SeriesValue {
  labels: Record<string, string>;
  value: number;
}

/** An alert firing at the end of the report's range. */
export interface FiringAlert {
  alertname: string;
  severity: string;
  service: string;
}

/**
 * Where a report reads its numbers. Names are catalog names, without the prefix; `undefined`
 * means the metric has no series at all ("no data").
 */
export interface ReportSource {
  readonly kind: 'prometheus' | 'process';
  /** The range the numbers cover. */
  readonly range: ReportRange;
  /** How much each series of a counter (or `_bucket`/`_sum`/`_count`) grew over the range. */
  counter(name: string): Promise<SeriesValue[] | undefined>;
  /** Each series of a gauge at the end of the range. */
  gauge(name: string): Promise<SeriesValue[] | undefined>;
  /** Percentage of successful scrapes over the range; `undefined` when unknown. */
  uptime(): Promise<number | undefined>;
  /** Alerts firing at the end of the range; `undefined` when unknown. */
  firingAlerts(): Promise<FiringAlert[] | undefined>;
}

const keyOf = (labels: Record<string, string>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Growth of a counter from `baseline` (0 when the series did not exist yet) through `samples`:
 * a drop is a restart, after which the counter counts from 0 again.
 */
export function counterGrowth(baseline: number, samples: readonly number[]): number {
  let previous = baseline;
  let growth = 0;
  for (const value of samples) {
    growth += value >= previous ? value - previous : value;
    previous = value;
  }
  return growth;
}

/**
 * Reads a Prometheus server over a range. Counter growth is exact, without the extrapolation
 * of `increase()`: the value at the end minus the last value scraped before the start (0 for a
 * series born inside the range), and for a series that restarted, the sum of its raw steps.
 */
export class PrometheusReportSource implements ReportSource {
  readonly kind = 'prometheus';
  private readonly window: string;

  /**
   * @param prefix the application's metric prefix
   * @param service only the series of this `service`; every service when `undefined`
   */
  constructor(
    private readonly client: PrometheusApiClient,
    readonly range: ReportRange,
    private readonly prefix: string,
    private readonly service: string | undefined,
  ) {
    this.window = `${Math.max(1, Math.round((range.end - range.start) * 1000))}ms`;
  }

  private selector(name: string, ...matchers: string[]): string {
    const all = [
      ...(this.service === undefined ? [] : [`service=${promqlString(this.service)}`]),
      ...matchers,
    ];
    return `${this.prefix}${name}${all.length ? `{${all.join(',')}}` : ''}`;
  }

  async counter(name: string): Promise<SeriesValue[] | undefined> {
    const sel = this.selector(name);
    const { start, end } = this.range;
    const [last, first, resets] = await Promise.all([
      this.client.vector(`last_over_time(${sel}[${this.window}])`, end),
      this.client.vector(sel, start),
      // 5 minutes more than the range: a restart between the baseline and the first sample.
      this.client.vector(`resets(${sel}[${Math.round((end - start) * 1000) + 300_000}ms])`, end),
    ]);
    if (last.length === 0 && first.length === 0) return undefined;
    const baseline = new Map(first.map((s) => [keyOf(s.labels), s.value]));
    const restarted = new Set(resets.filter((s) => s.value > 0).map((s) => keyOf(s.labels)));
    let raw: Map<string, number[]> | undefined;
    const result: SeriesValue[] = [];
    for (const series of last) {
      const key = keyOf(series.labels);
      const before = baseline.get(key) ?? 0;
      if (!restarted.has(key) && series.value >= before) {
        result.push({ labels: series.labels, value: series.value - before });
        continue;
      }
      raw ??= new Map(
        (await this.client.matrix(`${sel}[${this.window}]`, end)).map((s) => [
          keyOf(s.labels),
          s.values,
        ]),
      );
      result.push({ labels: series.labels, value: counterGrowth(before, raw.get(key) ?? []) });
    }
    return result;
  }

  async gauge(name: string): Promise<SeriesValue[] | undefined> {
    const series = await this.client.vector(
      `last_over_time(${this.selector(name)}[${this.window}])`,
      this.range.end,
    );
    return series.length ? series : undefined;
  }

  async uptime(): Promise<number | undefined> {
    // `up` has a service label under the generated scrape configuration; a minimal one gives it
    // only a job, which then names the service (as in the generated ServiceDown rule).
    const scoped =
      this.service === undefined
        ? ['up{service!=""}', 'up{service=""}']
        : [
            `up{service=${promqlString(this.service)}}`,
            `up{service="",job=${promqlString(this.service)}}`,
          ];
    const answers = await Promise.all(
      scoped.map((sel) =>
        this.client.vector(`avg_over_time(${sel}[${this.window}])`, this.range.end),
      ),
    );
    const targets: VectorSeries[] = answers.flat();
    if (targets.length === 0) return undefined;
    return (targets.reduce((sum, t) => sum + t.value, 0) / targets.length) * 100;
  }

  async firingAlerts(): Promise<FiringAlert[]> {
    const matchers = ['alertstate="firing"'];
    if (this.service !== undefined) matchers.push(`service=${promqlString(this.service)}`);
    const series = await this.client.vector(`ALERTS{${matchers.join(',')}}`, this.range.end);
    return series
      .map((s) => ({
        alertname: s.labels.alertname ?? '',
        severity: s.labels.severity ?? '',
        service: s.labels.service ?? '',
      }))
      .sort((a, b) => (a.alertname + a.service < b.alertname + b.service ? -1 : 1));
  }
}

/** The parts of the alerting service the process source reads. */
export interface ActiveAlertsReader {
  list(activeOnly: boolean): { name: string; severity: string; labels: Record<string, string> }[];
}

/**
 * Reads this process's own registry: every counter since the process started, and nothing
 * over a range (that needs the history only Prometheus keeps).
 */
export class RegistryReportSource implements ReportSource {
  readonly kind = 'process';

  /**
   * @param startedAt when the process started, Unix seconds (the start of the range)
   * @param now the end of the range, Unix seconds
   */
  constructor(
    private readonly registry: Registry,
    private readonly prefix: string,
    private readonly service: string,
    startedAt: number,
    now: number,
    private readonly alerts?: ActiveAlertsReader,
  ) {
    this.range = { start: startedAt, end: now };
  }

  readonly range: ReportRange;

  private async read(name: string): Promise<SeriesValue[] | undefined> {
    const full = `${this.prefix}${name}`;
    const base = full.replace(/_(bucket|sum|count)$/, '');
    const metric =
      this.registry.getSingleMetric(full) ??
      (base !== full ? this.registry.getSingleMetric(base) : undefined);
    if (!metric) return undefined;
    const { values } = await metric.get();
    const rows = values
      .filter((v) => {
        const own = (v as { metricName?: string }).metricName;
        return own === undefined || own === full;
      })
      .map((v) => ({
        labels: Object.fromEntries(
          Object.entries(v.labels).map(([key, value]) => [key, String(value)]),
        ),
        value: v.value,
      }));
    return rows.length ? rows : undefined;
  }

  counter(name: string): Promise<SeriesValue[] | undefined> {
    return this.read(name);
  }

  gauge(name: string): Promise<SeriesValue[] | undefined> {
    return this.read(name);
  }

  uptime(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  firingAlerts(): Promise<FiringAlert[] | undefined> {
    if (!this.alerts) return Promise.resolve(undefined);
    return Promise.resolve(
      this.alerts.list(true).map((alert) => ({
        alertname: alert.name,
        severity: alert.severity,
        service: alert.labels.service ?? this.service,
      })),
    );
  }
}
