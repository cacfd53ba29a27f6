import type { Counter } from 'prom-client';
import type { MetricDefinition, MetricKind } from '../metrics/metric-catalog';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricOf, MetricsRegistry } from '../metrics/metrics-registry';
import { SeriesGuard } from '../metrics/series-guard';
import type { QuotaEvent, RevenueEvent, UsageOptions } from './business-kpi.types';
import { parseAmount, toMajor } from './money';
import { TenantLabel } from './tenant-label';

const UNKNOWN = 'unknown';

const label = (value: unknown): string =>
  value === undefined || value === null || value === '' ? UNKNOWN : (value as string);

const isAmount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The exact revenue of one series: integer minor units. */
interface RevenueSeries {
  readonly labels: Record<string, string>;
  minor: bigint;
  readonly exponent: number;
}

/**
 * The money and usage KPIs of one registry: revenue (summed exactly in integer minor units),
 * subscriptions, feature usage, metered usage and quotas, with the opt-in bounded tenant label.
 * Each metric is registered on its first event, so applications that track none of them
 * expose none of them.
 *
 * @internal Reached through `CustomMetricsService` and `monitoring.metrics`.
 */
export class BusinessKpis {
  private readonly tenant: TenantLabel | undefined;
  private readonly created = new Map<string, unknown>();
  private readonly revenue = new Map<string, RevenueSeries>();
  private revenueGuard: SeriesGuard | undefined;

  constructor(private readonly metrics: MetricsRegistry) {
    const { tenant } = metrics.options.kpi;
    this.tenant = tenant ? new TenantLabel(tenant, metrics) : undefined;
  }

  /**
   * Adds one payment to `revenue_total{plan_type,currency}` (major units) and
   * `revenue_minor_units_total` (integer minor units). Bad amounts and currencies are dropped
   * and counted (`invalid_amount`, `invalid_currency`).
   */
  trackRevenue(event: RevenueEvent): void {
    const parsed = parseAmount(event ?? ({} as RevenueEvent));
    if ('reason' in parsed) {
      this.metrics.drop(parsed.reason, `revenue: ${parsed.detail}`);
      return;
    }
    const metricName = this.metrics.fullName(MetricCatalog.revenue.name);
    this.ensureRevenue();
    const labels = this.revenueGuard!.admit(
      this.withTenant(
        { plan_type: label(event.planType), currency: parsed.currency },
        event.tenantId,
        metricName,
      ),
    );
    if (!labels) return;
    const key = JSON.stringify(labels);
    const series = this.revenue.get(key);
    if (series) series.minor += parsed.minor;
    else this.revenue.set(key, { labels, minor: parsed.minor, exponent: parsed.exponent });
  }

  /** Counts a started subscription (`subscriptions_started_total{plan_type}`). */
  trackSubscriptionStarted(planType: string): void {
    this.get(MetricCatalog.subscriptionsStarted, false).inc({ plan_type: label(planType) });
  }

  /** Counts a cancelled subscription (`subscriptions_cancelled_total{plan_type}`). */
  trackSubscriptionCancelled(planType: string): void {
    this.get(MetricCatalog.subscriptionsCancelled, false).inc({ plan_type: label(planType) });
  }

  /** Sets `subscriptions_active{plan_type}`, typically from a count in the database. */
  setActiveSubscriptions(planType: string, count: number): void {
    if (!isAmount(count)) {
      this.metrics.drop('invalid_value', `subscriptions_active needs a count >= 0, got ${count}`);
      return;
    }
    this.get(MetricCatalog.subscriptionsActive, false).set({ plan_type: label(planType) }, count);
  }

  /** Counts `count` uses of `feature` (`feature_usage_total{feature}`). */
  trackFeatureUsage(feature: string, count = 1, options: UsageOptions = {}): void {
    const definition = MetricCatalog.featureUsage;
    this.get(definition, true).inc(
      this.withTenant({ feature: label(feature) }, options?.tenantId, this.nameOf(definition)),
      count,
    );
  }

  /** Adds `amount` of metered usage of `metricType` (`usage_total{metric_type}`). */
  trackUsage(metricType: string, amount = 1, options: UsageOptions = {}): void {
    const definition = MetricCatalog.usage;
    this.get(definition, true).inc(
      this.withTenant(
        { metric_type: label(metricType) },
        options?.tenantId,
        this.nameOf(definition),
      ),
      amount,
    );
  }

  /**
   * Sets `quota_used`, `quota_limit` and `quota_utilization` (percent of the limit) of one
   * metered resource and plan. A limit of 0 has no utilization (its series is removed).
   */
  setQuota(event: QuotaEvent): void {
    const { used, limit } = event ?? ({} as QuotaEvent);
    if (!isAmount(used) || !isAmount(limit)) {
      this.metrics.drop(
        'invalid_value',
        `quota needs "used" and "limit" >= 0, got ${String(used)} and ${String(limit)}`,
      );
      return;
    }
    const labels = this.withTenant(
      { metric_type: label(event.metricType), plan_type: label(event.planType) },
      event.tenantId,
      this.nameOf(MetricCatalog.quotaUtilization),
    );
    this.get(MetricCatalog.quotaUsed, true).set(labels, used);
    this.get(MetricCatalog.quotaLimit, true).set(labels, limit);
    const utilization = this.get(MetricCatalog.quotaUtilization, true);
    // A limit of 0 has no utilization: its last value must not linger.
    if (limit > 0) utilization.set(labels, (used / limit) * 100);
    else utilization.remove(labels);
  }

  private nameOf(definition: MetricDefinition): string {
    return this.metrics.fullName(definition.name);
  }

  private withTenant<T extends Record<string, string>>(
    labels: T,
    tenantId: unknown,
    metricName: string,
  ): T {
    if (!this.tenant) return labels;
    const value = this.tenant.value(tenantId, metricName);
    return value === undefined ? labels : { ...labels, [this.tenant.name]: value };
  }

  private labelNames(definition: MetricDefinition, tenant: boolean): string[] {
    return tenant && this.tenant
      ? [...definition.labelNames, this.tenant.name]
      : [...definition.labelNames];
  }

  /** The catalog metric `definition`, created on first use (with the tenant label if asked). */
  private get<K extends MetricKind>(
    definition: MetricDefinition & { type: K },
    tenant: boolean,
  ): MetricOf<K, string> {
    let metric = this.created.get(definition.name) as MetricOf<K, string> | undefined;
    if (!metric) {
      metric = this.metrics.fromCatalog(definition, {
        labelNames: this.labelNames(definition, tenant),
        // The gauges hold a value read from the application's database, which every worker of
        // a cluster sets alike: the cluster's value is that value, not the sum of the workers'.
        ...(definition.type === 'gauge' ? { aggregator: 'max' } : {}),
      } as never);
      this.created.set(definition.name, metric);
    }
    return metric;
  }

  /**
   * Registers both revenue counters on the first payment. Their values are the exact sums,
   * written at scrape time.
   */
  private ensureRevenue(): void {
    if (this.revenueGuard) return;
    const labelNames = this.labelNames(MetricCatalog.revenue, true);
    this.revenueGuard = new SeriesGuard(
      this.nameOf(MetricCatalog.revenue),
      labelNames,
      this.metrics,
    );
    const series = this.revenue;
    this.metrics.fromCatalog(MetricCatalog.revenue, {
      labelNames,
      collect(this: Counter<string>) {
        this.reset();
        for (const { labels, minor, exponent } of series.values()) {
          this.inc(labels, toMajor(minor, exponent));
        }
      },
    } as never);
    this.metrics.fromCatalog(MetricCatalog.revenueMinorUnits, {
      labelNames,
      collect(this: Counter<string>) {
        this.reset();
        for (const { labels, minor } of series.values()) this.inc(labels, Number(minor));
      },
    } as never);
  }
}
