import type { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import type { TokenPricingTable } from '../observability-options.interface';
import { Messages } from '../observability.messages';
import { type ActiveUsersSnapshot, ActiveUsersTracker } from './active-users.tracker';
import type { AiRequestEvent, ErrorSeverity, KpiEvent } from './kpi.types';
import { AiMetrics } from '../kpi/ai-metrics';
import type { CostSpikeEvent } from '../kpi/ai-cost-windows';
import { BusinessKpis } from '../kpi/business-kpis';
import type { QuotaEvent, RevenueEvent, UsageOptions } from '../kpi/business-kpi.types';
import { MetricCatalog } from './metric-catalog';
import type { MetricConfig } from './metrics-registry';
import { MetricsRegistry } from './metrics-registry';

const UNKNOWN = 'unknown';

/** A failed payment, as passed to `onPaymentFailure` listeners. */
export interface PaymentFailureEvent {
  paymentId: string;
  paymentMethod: string;
  errorType: string;
}

/** `value`, or `'unknown'` when absent, so a missing label never loses the event. */
const orUnknown = (value: unknown): unknown =>
  value === undefined || value === null || value === '' ? UNKNOWN : value;

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The KPI catalog and custom metrics of one application. Inject it anywhere once
 * `ObservabilityModule` is imported.
 *
 * Tracking never throws and never blocks: an invalid value or label is dropped (counted in
 * `observability_dropped_events_total{reason}` and logged once per reason), and label
 * combinations past `metrics.maxSeriesPerMetric` fold into an `__overflow__` series.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class ChatService {
 *   constructor(private readonly metrics: CustomMetricsService) {}
 *
 *   async reply(userId: string, text: string) {
 *     this.metrics.trackKpi({ type: 'active_user', data: { userId } });
 *     const answer = await this.llm.complete(text);
 *     this.metrics.trackTokenSpend(answer.usage.total_tokens, 'gpt-4', 'completion');
 *     this.metrics.trackGenerationSuccess('text');
 *   }
 * }
 * ```
 */
export class CustomMetricsService {
  private readonly logger: DiagnosticLogger;
  private readonly activeUsers: ActiveUsersTracker;
  private readonly pricing: TokenPricingTable | undefined;

  private readonly generationSuccess: Counter<string>;
  private readonly generationFailure: Counter<string>;
  private readonly tokenSpend: Counter<string>;
  private readonly tokenCost: Counter<string> | undefined;
  private readonly paymentConversions: Counter<string>;
  private readonly paymentFailures: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly ai: AiMetrics;
  private readonly business: BusinessKpis;
  private readonly paymentFailureListeners = new Set<(event: PaymentFailureEvent) => void>();
  private readonly costSpikeListeners = new Set<(event: CostSpikeEvent) => void>();

  /** @internal */
  constructor(
    private readonly metrics: MetricsRegistry,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Observability');
    const { kpi } = metrics.options;
    const tracker = new ActiveUsersTracker(kpi.activeUsersWindowSeconds);
    this.activeUsers = tracker;
    this.pricing = kpi.tokenPricing;
    metrics.fromCatalog(MetricCatalog.activeUsers, {
      collect(this: Gauge<string>) {
        this.set(tracker.estimate());
      },
    });
    this.generationSuccess = metrics.fromCatalog(MetricCatalog.generationSuccess);
    this.generationFailure = metrics.fromCatalog(MetricCatalog.generationFailure);
    this.tokenSpend = metrics.fromCatalog(MetricCatalog.tokenSpend);
    this.tokenCost = kpi.tokenPricing ? metrics.fromCatalog(MetricCatalog.tokenCost) : undefined;
    this.paymentConversions = metrics.fromCatalog(MetricCatalog.paymentConversions);
    this.paymentFailures = metrics.fromCatalog(MetricCatalog.paymentFailures);
    this.errors = metrics.fromCatalog(MetricCatalog.errors);
    this.ai = new AiMetrics(
      metrics,
      (event) => {
        for (const listener of this.costSpikeListeners) listener(event);
      },
      metrics.options.alerting.clock,
    );
    this.business = new BusinessKpis(metrics);
  }

  /** The prom-client registry of this application (for exporters and advanced use). */
  get registry(): Registry {
    return this.metrics.registry;
  }

  /** The current exposition text, in the Prometheus text format. */
  getMetrics(): Promise<string> {
    return this.metrics.metrics();
  }

  /**
   * Tracks one KPI event. Equivalent to the typed `track*` method of its `type`.
   *
   * @example
   * ```ts
   * metrics.trackKpi({ type: 'token_spend', data: { tokens: 1500, model: 'gpt-4', type: 'completion' } });
   * ```
   */
  trackKpi(event: KpiEvent): void {
    this.safely(() => {
      const data = (event?.data ?? {}) as Record<string, any>;
      switch (event?.type) {
        case 'active_user':
          return this.trackActiveUser(data.userId);
        case 'generation_success':
          return this.trackGenerationSuccess(data.type);
        case 'generation_failure':
          return this.trackGenerationFailure(data.type, data.errorType);
        case 'token_spend':
          return this.trackTokenSpend(data.tokens, data.model, data.type);
        case 'payment_conversion':
          return this.trackPaymentConversion(data.paymentMethod, data.plan);
        case 'payment_failure':
          return this.trackPaymentFailure(data.paymentId, data.paymentMethod, data.errorType);
        case 'revenue':
          return this.trackRevenue(data as RevenueEvent);
        case 'subscription_started':
          return this.trackSubscriptionStarted(data.planType);
        case 'subscription_cancelled':
          return this.trackSubscriptionCancelled(data.planType);
        case 'subscriptions_active':
          return this.setActiveSubscriptions(data.planType, data.count);
        case 'feature_usage':
          return this.trackFeatureUsage(data.feature, data.count, { tenantId: data.tenantId });
        case 'usage':
          return this.trackUsage(data.metricType, data.amount, { tenantId: data.tenantId });
        case 'quota':
          return this.setQuota(data as QuotaEvent);
        default:
          this.metrics.drop(
            'invalid_kpi',
            `unknown KPI type ${JSON.stringify((event as { type?: unknown })?.type)}`,
          );
      }
    });
  }

  /**
   * Marks `userId` active now; `active_users_total` is the number of distinct users in the
   * sliding window (`kpi.activeUsersWindowSeconds`). The id never becomes a label.
   */
  trackActiveUser(userId: string): void {
    this.safely(() => {
      if ((typeof userId !== 'string' && typeof userId !== 'number') || userId === '') {
        this.metrics.drop('invalid_kpi', 'active_user needs a non-empty "userId"');
        return;
      }
      this.activeUsers.add(String(userId));
    });
  }

  /** Counts a successful generation of `type` (`image`, `text`, ...). */
  trackGenerationSuccess(type: string): void {
    this.generationSuccess.inc({ type: orUnknown(type) as string });
  }

  /** Counts a failed generation of `type` with `errorType` (`timeout`, `api_error`, ...). */
  trackGenerationFailure(type: string, errorType: string): void {
    this.generationFailure.inc({
      type: orUnknown(type) as string,
      error_type: orUnknown(errorType) as string,
    });
  }

  /**
   * Counts `tokens` spent on `model` for `type` (`input`, `output`, `completion`, ...), and
   * their cost in `token_cost_usd_total` when `kpi.tokenPricing` prices them.
   */
  trackTokenSpend(tokens: number, model: string, type: string): void {
    this.safely(() => {
      if (!isCount(tokens)) {
        this.metrics.drop('invalid_value', `token_spend needs tokens >= 0, got ${String(tokens)}`);
        return;
      }
      const labels = { model: orUnknown(model) as string, type: orUnknown(type) as string };
      this.tokenSpend.inc(labels, tokens);
      const price =
        this.pricing?.[labels.model]?.[labels.type] ?? this.pricing?.[labels.model]?.['*'];
      if (this.tokenCost && price !== undefined)
        this.tokenCost.inc(labels, (tokens / 1000) * price);
    });
  }

  /** Counts a successful payment by `paymentMethod` for `plan`. */
  trackPaymentConversion(paymentMethod: string, plan: string): void {
    this.paymentConversions.inc({
      payment_method: orUnknown(paymentMethod) as string,
      plan: orUnknown(plan) as string,
    });
  }

  /** Counts a failed payment; `paymentId` goes to the log, never to a label. */
  trackPaymentFailure(paymentId: string, paymentMethod: string, errorType: string): void {
    this.safely(() => {
      const labels = {
        payment_method: orUnknown(paymentMethod) as string,
        error_type: orUnknown(errorType) as string,
      };
      this.paymentFailures.inc(labels);
      for (const listener of this.paymentFailureListeners) {
        listener({
          paymentId: String(paymentId ?? UNKNOWN),
          paymentMethod: labels.payment_method,
          errorType: labels.error_type,
        });
      }
      this.logger.warn(
        Messages.paymentFailure(
          String(paymentId ?? UNKNOWN),
          labels.payment_method,
          labels.error_type,
        ),
      );
    });
  }

  /** Counts an error of `errorType` with `severity`. */
  trackError(errorType: string, severity: ErrorSeverity = 'error'): void {
    this.errors.inc({
      error_type: orUnknown(errorType) as string,
      severity: orUnknown(severity) as string,
    });
  }

  /** @deprecated Renamed {@link CustomMetricsService.trackKpi}. */
  trackKPI(event: KpiEvent): void {
    this.trackKpi(event);
  }

  /**
   * Records one AI provider call: duration, count, errors and cost, under the names
   * `kpi.ai.naming` selects (`ai_*` by default, `openai_*` with `'openai'`), and adds its cost
   * to the `kpi.ai.costWindows`, whose spike detector raises `alertCostSpike()`.
   */
  trackAiRequest(event: AiRequestEvent): void {
    this.safely(() => this.ai.record(event));
  }

  /** @deprecated Renamed {@link CustomMetricsService.trackAiRequest}. */
  trackAIRequest(event: AiRequestEvent): void {
    this.trackAiRequest(event);
  }

  /**
   * Adds one payment to `revenue_total{plan_type,currency}` (major units) and
   * `revenue_minor_units_total` (integer minor units), summed exactly: `amount` is a decimal
   * (`'12.34'`, or a number such as `29.99`), `amountMinor` an integer of minor units
   * (cents; JPY has none, KWD has thousandths). Negative, non-finite or over-precise amounts
   * and currencies that are not ISO 4217 codes are dropped and counted
   * (`observability_dropped_events_total{reason="invalid_amount"|"invalid_currency"}`).
   *
   * @example
   * ```ts
   * metrics.trackRevenue({ amount: '29.99', currency: 'EUR', planType: 'professional' });
   * metrics.trackRevenue({ amountMinor: 1500, currency: 'JPY', planType: 'starter' });
   * ```
   */
  trackRevenue(event: RevenueEvent): void {
    this.safely(() => this.business.trackRevenue(event));
  }

  /** Counts a started subscription (`subscriptions_started_total{plan_type}`). */
  trackSubscriptionStarted(planType: string): void {
    this.safely(() => this.business.trackSubscriptionStarted(planType));
  }

  /** Counts a cancelled subscription (`subscriptions_cancelled_total{plan_type}`). */
  trackSubscriptionCancelled(planType: string): void {
    this.safely(() => this.business.trackSubscriptionCancelled(planType));
  }

  /** Sets `subscriptions_active{plan_type}` to `count`, typically read from your database. */
  setActiveSubscriptions(planType: string, count: number): void {
    this.safely(() => this.business.setActiveSubscriptions(planType, count));
  }

  /**
   * Counts `count` uses of `feature` (`feature_usage_total{feature}`, plus the tenant label
   * when `kpi.tenant` is set).
   */
  trackFeatureUsage(feature: string, count?: number, options?: UsageOptions): void {
    this.safely(() => this.business.trackFeatureUsage(feature, count ?? 1, options ?? {}));
  }

  /**
   * Adds `amount` of metered usage of `metricType` (`usage_total{metric_type}`, plus the
   * tenant label when `kpi.tenant` is set).
   */
  trackUsage(metricType: string, amount?: number, options?: UsageOptions): void {
    this.safely(() => this.business.trackUsage(metricType, amount ?? 1, options ?? {}));
  }

  /**
   * Sets `quota_used`, `quota_limit` and `quota_utilization` (percent) of one metered resource
   * and plan (plus the tenant label when `kpi.tenant` is set).
   *
   * @example
   * ```ts
   * metrics.setQuota({ metricType: 'documents', planType: 'pro', used: 930, limit: 1000, tenantId: 'acme' });
   * ```
   */
  setQuota(event: QuotaEvent): void {
    this.safely(() => this.business.setQuota(event));
  }

  /**
   * Returns the counter `config.name` (prefix and default labels applied), creating it on
   * first use. The same name with another type or label set throws at this call.
   */
  createCounter<T extends string>(config: MetricConfig<'counter', T>): Counter<T> {
    return this.metrics.getOrCreate('counter', config);
  }

  /** Returns the gauge `config.name`, creating it on first use (see `createCounter`). */
  createGauge<T extends string>(config: MetricConfig<'gauge', T>): Gauge<T> {
    return this.metrics.getOrCreate('gauge', config);
  }

  /** Returns the histogram `config.name`, creating it on first use (see `createCounter`). */
  createHistogram<T extends string>(config: MetricConfig<'histogram', T>): Histogram<T> {
    return this.metrics.getOrCreate('histogram', config);
  }

  /** Returns the summary `config.name`, creating it on first use (see `createCounter`). */
  createSummary<T extends string>(config: MetricConfig<'summary', T>): Summary<T> {
    return this.metrics.getOrCreate('summary', config);
  }

  /**
   * Calls `listener` on every tracked payment failure (the alerting service raises
   * `alertPaymentFailure` from it). Returns the unsubscribe function.
   * @internal
   */
  onPaymentFailure(listener: (event: PaymentFailureEvent) => void): () => void {
    this.paymentFailureListeners.add(listener);
    return () => this.paymentFailureListeners.delete(listener);
  }

  /**
   * Calls `listener` on every cost spike the `kpi.ai.costWindows` detector finds (the
   * monitoring core raises `alertCostSpike` from it). Returns the unsubscribe function.
   * @internal
   */
  onCostSpike(listener: (event: CostSpikeEvent) => void): () => void {
    this.costSpikeListeners.add(listener);
    return () => this.costSpikeListeners.delete(listener);
  }

  /**
   * Stops the timers of the cost spike detector.
   * @internal
   */
  close(): void {
    this.ai.close();
  }

  /**
   * The active-users sketch of this process, for the primary of a cluster to merge.
   * @internal
   */
  activeUsersSnapshot(): ActiveUsersSnapshot {
    return this.activeUsers.snapshot();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.metrics.drop('internal_error', (error as Error)?.message ?? String(error));
    }
  }
}
