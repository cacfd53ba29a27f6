import type { Registry } from 'prom-client';
import { PrometheusApiClient } from './prometheus-api.client';
import { BUSINESS_REPORT_METRICS as B, REPORT_METRICS as N } from './report-metrics';
import { type ReportRangeInput, resolveReportRange } from './report-range';
import {
  type ActiveAlertsReader,
  PrometheusReportSource,
  RegistryReportSource,
  type ReportSource,
  type SeriesValue,
} from './report-source';
import { NO_DATA, type Report, type ReportKind, type ReportNumber } from './report.types';

/** What the report service reads from: a Prometheus server, and/or this process's registry. */
export interface ReportServiceSettings {
  /** The metric prefix of the application. */
  prefix: string;
  /** The service to report on; `undefined` for every service (Prometheus only). */
  service: string | undefined;
  /** The Prometheus server to query; without it, the process's registry answers. */
  prometheusUrl?: string;
  /** Longest wait for one Prometheus query. @default 10000 */
  timeoutMs?: number;
  /** The process's registry (the answer without Prometheus). */
  registry?: Registry;
  /** The process's active alerts (the alerts section without Prometheus). */
  alerts?: ActiveAlertsReader;
  /** When the process started, Unix seconds. @default from `process.uptime()` */
  startedAt?: number;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

/** Default range of each report when none is asked, as the routes of the dashboards use. */
export const DEFAULT_RANGE_SECONDS: Record<ReportKind, number> = {
  dashboard: 7 * 86_400,
  'business-intelligence': 30 * 86_400,
  performance: 86_400,
};

const sum = (
  rows: readonly SeriesValue[] | undefined,
  keep?: (l: Record<string, string>) => boolean,
) =>
  (rows ?? []).reduce((total, row) => (keep && !keep(row.labels) ? total : total + row.value), 0);

/** Rows summed by `labels`, largest first (then by label values, for a stable order). */
function groupBy(
  rows: readonly SeriesValue[],
  labels: readonly string[],
  valueName: string,
): Record<string, string | number>[] {
  const groups = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const row of rows) {
    const picked = Object.fromEntries(labels.map((l) => [l, row.labels[l] ?? '']));
    const key = JSON.stringify(picked);
    const group = groups.get(key) ?? { labels: picked, value: 0 };
    group.value += row.value;
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort(
      (a, b) => b.value - a.value || (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1),
    )
    .map((g) => ({ ...g.labels, [valueName]: g.value }));
}

const ratio = (part: number, total: number): number | null => (total > 0 ? part / total : null);
const percent = (part: number, total: number): number | null =>
  total > 0 ? (part / total) * 100 : null;

/**
 * The `phi` quantile of histogram bucket counts, interpolated inside the bucket it falls in as
 * Prometheus' `histogram_quantile()` does; `null` without observations.
 */
export function bucketQuantile(phi: number, buckets: readonly SeriesValue[]): number | null {
  const byBound = new Map<number, number>();
  for (const row of buckets) {
    const bound = row.labels.le === '+Inf' ? Infinity : Number(row.labels.le);
    if (Number.isNaN(bound)) continue;
    byBound.set(bound, (byBound.get(bound) ?? 0) + row.value);
  }
  const sorted = [...byBound].sort(([a], [b]) => a - b);
  if (sorted.length < 2 || sorted[sorted.length - 1][0] !== Infinity) return null;
  const total = sorted[sorted.length - 1][1];
  if (total <= 0) return null;
  const rank = phi * total;
  let index = sorted.findIndex(([, count]) => count >= rank);
  if (index === sorted.length - 1) return sorted[sorted.length - 2][0];
  if (index === 0 && sorted[0][0] <= 0) return sorted[0][0];
  index = Math.max(index, 0);
  const [upper, count] = sorted[index];
  const [lower, below] = index === 0 ? [0, 0] : sorted[index - 1];
  return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below);
}

/**
 * Builds the overview (`dashboard`), `business-intelligence` and `performance` reports over a
 * time range. With a Prometheus server it answers any range, for every instance of the
 * service, with exact counts (the growth of each counter between the last scrape before the
 * range and the last one in it). Without one it answers from this process's registry: counts
 * since the process started, and the report's `notes` say what needs Prometheus.
 *
 * Framework-free: the Nest controller, `Monitoring.reports` and the CLI all call it.
 *
 * @example
 * ```ts
 * const reports = new ReportService({ prefix: '', service: 'api', prometheusUrl: 'http://prometheus:9090' });
 * const report = await reports.report('performance', { since: '24h' });
 * console.log(report.summary);
 * ```
 */
export class ReportService {
  private readonly client: PrometheusApiClient | undefined;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly settings: ReportServiceSettings) {
    this.client = settings.prometheusUrl
      ? new PrometheusApiClient(settings.prometheusUrl, settings.timeoutMs ?? 10_000)
      : undefined;
    this.now = settings.now ?? Date.now;
    this.startedAt = settings.startedAt ?? this.now() / 1000 - process.uptime();
  }

  /** Whether the reports come from Prometheus (else from this process). */
  get source(): 'prometheus' | 'process' {
    return this.client ? 'prometheus' : 'process';
  }

  /**
   * The report `kind` over the range `input` (default: 7 days, 30 days and 24 hours). Rejects
   * with a `ReportRangeError` for a bad range, a `PrometheusApiError` when Prometheus fails.
   */
  async report(kind: ReportKind, input: ReportRangeInput = {}): Promise<Report> {
    const nowSeconds = this.now() / 1000;
    const range = resolveReportRange(input, nowSeconds, DEFAULT_RANGE_SECONDS[kind]);
    const notes: string[] = [];
    let source: ReportSource;
    if (this.client) {
      source = new PrometheusReportSource(
        this.client,
        range,
        this.settings.prefix,
        this.settings.service,
      );
    } else {
      if (!this.settings.registry)
        throw new Error('A report needs a Prometheus URL or a registry.');
      source = new RegistryReportSource(
        this.settings.registry,
        this.settings.prefix,
        this.settings.service ?? '',
        this.startedAt,
        nowSeconds,
        this.settings.alerts,
      );
      notes.push(
        `Counts are this process's since it started (${new Date(this.startedAt * 1000).toISOString()}), ` +
          `not over the range asked (${new Date(range.start * 1000).toISOString()} to ` +
          `${new Date(range.end * 1000).toISOString()}), and not other instances: a range, uptime ` +
          'and every instance need Prometheus (set PROMETHEUS_URL or reports.prometheusUrl).',
      );
    }
    const header: Report = {
      report: kind,
      source: source.kind,
      service: this.settings.service ?? null,
      period: {
        start: new Date(source.range.start * 1000).toISOString(),
        end: new Date(source.range.end * 1000).toISOString(),
        seconds: source.range.end - source.range.start,
      },
      notes,
    };
    switch (kind) {
      case 'dashboard':
        return { ...header, ...(await this.overview(source, notes)) };
      case 'business-intelligence':
        return { ...header, ...(await this.business(source)) };
      default:
        return { ...header, ...(await this.performance(source, notes)) };
    }
  }

  private async traffic(source: ReportSource, notes: string[]) {
    const [requests, durationSum, durationCount, buckets, uptime] = await Promise.all([
      source.counter(N.httpRequests),
      source.counter(`${N.httpDuration}_sum`),
      source.counter(`${N.httpDuration}_count`),
      source.counter(`${N.httpDuration}_bucket`),
      source.uptime(),
    ]);
    if (uptime === undefined) {
      notes.push(
        source.kind === 'process'
          ? 'uptime needs Prometheus (the share of successful scrapes over the range).'
          : 'uptime: Prometheus has no `up` series of this service in the range.',
      );
    }
    const is5xx = (l: Record<string, string>) => /^5\d\d$/.test(l.status_code ?? '');
    const total = sum(requests);
    const errors = sum(requests, is5xx);
    return {
      requests: requests ?? [],
      durationSum: durationSum ?? [],
      durationCount: durationCount ?? [],
      buckets: buckets ?? [],
      total,
      errors,
      seconds: source.range.end - source.range.start,
      uptime: uptime ?? null,
    };
  }

  private async kpis(source: ReportSource) {
    const [genOk, genFail, payOk, payFail, tokens, tokenCost, aiCost, activeUsers] =
      await Promise.all([
        source.counter(N.generationSuccess),
        source.counter(N.generationFailure),
        source.counter(N.paymentConversions),
        source.counter(N.paymentFailures),
        source.counter(N.tokenSpend),
        source.counter(N.tokenCost),
        source.counter(N.aiCost),
        source.gauge(N.activeUsers),
      ]);
    const g = [sum(genOk), sum(genFail)];
    const p = [sum(payOk), sum(payFail)];
    return {
      generations: { succeeded: g[0], failed: g[1], success_rate: percent(g[0], g[0] + g[1]) },
      payments: {
        succeeded: p[0],
        failed: p[1],
        success_rate: percent(p[0], p[0] + p[1]),
        by_plan: groupBy(payOk ?? [], ['plan'], 'succeeded'),
      },
      tokens: sum(tokens),
      token_cost_usd: sum(tokenCost),
      ai_cost_usd: sum(aiCost) / 100,
      active_users: (activeUsers ? sum(activeUsers) : NO_DATA) as ReportNumber,
    };
  }

  private async overview(source: ReportSource, notes: string[]) {
    const [t, kpis, alerts] = await Promise.all([
      this.traffic(source, notes),
      this.kpis(source),
      source.firingAlerts(),
    ]);
    if (alerts === undefined) notes.push('alerts: no alerting service to ask.');
    const { payments, ...business } = kpis;
    const { by_plan: _byPlan, ...paymentTotals } = payments;
    return {
      performance_metrics: {
        requests: t.total,
        errors: t.errors,
        error_rate: percent(t.errors, t.total),
        avg_response_time: ratio(sum(t.durationSum), sum(t.durationCount)),
        throughput: t.seconds > 0 ? t.total / t.seconds : null,
        uptime: t.uptime,
      },
      business_metrics: { ...business, payments: paymentTotals },
      alerts: { active_count: alerts?.length ?? null, alerts: alerts ?? [] },
    };
  }

  private async performance(source: ReportSource, notes: string[]) {
    const t = await this.traffic(source, notes);
    const routeKey = (l: Record<string, string>) => `${l.method ?? ''} ${l.route ?? ''}`;
    const routes = new Map<string, { method: string; route: string }>();
    for (const row of t.requests) {
      routes.set(routeKey(row.labels), {
        method: row.labels.method ?? '',
        route: row.labels.route ?? '',
      });
    }
    const of = (key: string) => (l: Record<string, string>) => routeKey(l) === key;
    const is5xx = (l: Record<string, string>) => /^5\d\d$/.test(l.status_code ?? '');
    return {
      summary: {
        requests: t.total,
        errors: t.errors,
        error_rate: percent(t.errors, t.total),
        throughput: t.seconds > 0 ? t.total / t.seconds : null,
        avg_response_time: ratio(sum(t.durationSum), sum(t.durationCount)),
        p50_response_time: bucketQuantile(0.5, t.buckets),
        p95_response_time: bucketQuantile(0.95, t.buckets),
        p99_response_time: bucketQuantile(0.99, t.buckets),
        uptime: t.uptime,
      },
      routes: [...routes]
        .map(([key, { method, route }]) => {
          const requests = sum(t.requests, of(key));
          const errors = sum(t.requests, (l) => of(key)(l) && is5xx(l));
          return {
            method,
            route,
            requests,
            errors,
            error_rate: percent(errors, requests),
            avg_response_time: ratio(sum(t.durationSum, of(key)), sum(t.durationCount, of(key))),
            p95_response_time: bucketQuantile(
              0.95,
              t.buckets.filter((b) => of(key)(b.labels)),
            ),
          };
        })
        .sort(
          (a, b) => b.requests - a.requests || (a.route + a.method < b.route + b.method ? -1 : 1),
        ),
    };
  }

  private async business(source: ReportSource) {
    const [kpis, revenue, subscriptions, usersActive, usage, aiRequests] = await Promise.all([
      this.kpis(source),
      source.counter(B.revenue.name),
      source.gauge(B.subscriptionsActive.name),
      source.gauge(B.usersActive.name),
      source.counter(B.usage.name),
      source.counter(N.aiRequests),
    ]);
    return {
      revenue: revenue
        ? {
            by_currency: groupBy(revenue, [B.revenue.currency], 'amount'),
            by_plan: groupBy(revenue, [B.revenue.plan, B.revenue.currency], 'amount'),
          }
        : NO_DATA,
      subscriptions: subscriptions
        ? {
            active: sum(subscriptions),
            by_plan: groupBy(subscriptions, [B.subscriptionsActive.plan], 'active'),
          }
        : NO_DATA,
      users: {
        active: kpis.active_users,
        by_period: usersActive ? groupBy(usersActive, [B.usersActive.period], 'active') : NO_DATA,
      },
      feature_usage: usage ? groupBy(usage, [B.usage.tenant, B.usage.kind], 'count') : NO_DATA,
      payments: kpis.payments,
      generations: kpis.generations,
      ai: {
        requests: sum(aiRequests),
        tokens: kpis.tokens,
        token_cost_usd: kpis.token_cost_usd,
        cost_usd: kpis.ai_cost_usd,
      },
    };
  }
}
