import type { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import type { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { AiRequestEvent, ErrorSeverity, KpiEvent } from '../metrics/kpi.types';
import type { QuotaEvent, RevenueEvent, UsageOptions } from '../kpi/business-kpi.types';
import type { MetricConfig } from '../metrics/metrics-registry';
import type { QueueMetricsService } from '../queue/queue-metrics.service';
import type { QueueBacklog, WatchableBullQueue } from '../queue/queue-metrics.types';

/**
 * `monitoring.metrics`: the KPI catalog, custom metrics and queue metrics of one
 * {@link Monitoring}, on one object as the monitoring guides use them. Each method is the
 * same code as the Nest module's `CustomMetricsService` or `QueueMetricsService` method of
 * the same name, so both doors record identical series. Like every tracking call, none throws:
 * invalid values are dropped and counted in `observability_dropped_events_total{reason}`.
 *
 * @example
 * ```ts
 * const end = monitoring.metrics.startJobTimer('image-generation', 'dalle-3');
 * try {
 *   await generate();
 *   monitoring.metrics.trackGenerationSuccess('image');
 *   end('completed');
 * } catch (error) {
 *   end('failed');
 *   monitoring.metrics.trackQueueFailure('image-generation', (error as Error).name);
 * }
 * ```
 */
export class MonitoringMetrics {
  /** @internal */
  constructor(
    private readonly kpis: CustomMetricsService,
    private readonly queues: QueueMetricsService,
  ) {}

  /** The prom-client registry of this monitoring instance. */
  get registry(): Registry {
    return this.kpis.registry;
  }

  /** The current exposition text, in the Prometheus text format. */
  getMetrics(): Promise<string> {
    return this.kpis.getMetrics();
  }

  /** Tracks one KPI event: `active_user`, `generation_success`, `token_spend`, ... */
  trackKpi(event: KpiEvent): void {
    this.kpis.trackKpi(event);
  }

  /** @deprecated Renamed {@link MonitoringMetrics.trackKpi}. */
  trackKPI(event: KpiEvent): void {
    this.kpis.trackKpi(event);
  }

  /** Marks `userId` active now (`active_users_total`, distinct users in the window). */
  trackActiveUser(userId: string): void {
    this.kpis.trackActiveUser(userId);
  }

  /** Counts a successful generation of `type` (`generation_success_total`). */
  trackGenerationSuccess(type: string): void {
    this.kpis.trackGenerationSuccess(type);
  }

  /** Counts a failed generation of `type` with `errorType` (`generation_failure_total`). */
  trackGenerationFailure(type: string, errorType: string): void {
    this.kpis.trackGenerationFailure(type, errorType);
  }

  /** Counts `tokens` spent on `model` for `type` (`token_spend_total`). */
  trackTokenSpend(tokens: number, model: string, type: string): void {
    this.kpis.trackTokenSpend(tokens, model, type);
  }

  /** Counts a successful payment (`payment_conversion_total`). */
  trackPaymentConversion(paymentMethod: string, plan: string): void {
    this.kpis.trackPaymentConversion(paymentMethod, plan);
  }

  /** Counts a failed payment (`payment_failure_total`) and raises its alert. */
  trackPaymentFailure(paymentId: string, paymentMethod: string, errorType: string): void {
    this.kpis.trackPaymentFailure(paymentId, paymentMethod, errorType);
  }

  /** Counts an error of `errorType` with `severity` (`errors_total`). */
  trackError(errorType: string, severity?: ErrorSeverity): void {
    this.kpis.trackError(errorType, severity);
  }

  /** Records one AI provider call: duration, count, errors and cost. */
  trackAiRequest(event: AiRequestEvent): void {
    this.kpis.trackAiRequest(event);
  }

  /** @deprecated Renamed {@link MonitoringMetrics.trackAiRequest}. */
  trackAIRequest(event: AiRequestEvent): void {
    this.kpis.trackAiRequest(event);
  }

  /** Adds one payment to `revenue_total` and `revenue_minor_units_total`, summed exactly. */
  trackRevenue(event: RevenueEvent): void {
    this.kpis.trackRevenue(event);
  }

  /** Counts a started subscription (`subscriptions_started_total{plan_type}`). */
  trackSubscriptionStarted(planType: string): void {
    this.kpis.trackSubscriptionStarted(planType);
  }

  /** Counts a cancelled subscription (`subscriptions_cancelled_total{plan_type}`). */
  trackSubscriptionCancelled(planType: string): void {
    this.kpis.trackSubscriptionCancelled(planType);
  }

  /** Sets `subscriptions_active{plan_type}`. */
  setActiveSubscriptions(planType: string, count: number): void {
    this.kpis.setActiveSubscriptions(planType, count);
  }

  /** Counts `count` uses of `feature` (`feature_usage_total{feature}`). */
  trackFeatureUsage(feature: string, count?: number, options?: UsageOptions): void {
    this.kpis.trackFeatureUsage(feature, count, options);
  }

  /** Adds metered usage of `metricType` (`usage_total{metric_type}`). */
  trackUsage(metricType: string, amount?: number, options?: UsageOptions): void {
    this.kpis.trackUsage(metricType, amount, options);
  }

  /** Sets `quota_used`, `quota_limit` and `quota_utilization` of one resource and plan. */
  setQuota(event: QuotaEvent): void {
    this.kpis.setQuota(event);
  }

  /** Returns the counter `config.name`, creating it on first use. */
  createCounter<T extends string>(config: MetricConfig<'counter', T>): Counter<T> {
    return this.kpis.createCounter(config);
  }

  /** Returns the gauge `config.name`, creating it on first use. */
  createGauge<T extends string>(config: MetricConfig<'gauge', T>): Gauge<T> {
    return this.kpis.createGauge(config);
  }

  /** Returns the histogram `config.name`, creating it on first use. */
  createHistogram<T extends string>(config: MetricConfig<'histogram', T>): Histogram<T> {
    return this.kpis.createHistogram(config);
  }

  /** Returns the summary `config.name`, creating it on first use. */
  createSummary<T extends string>(config: MetricConfig<'summary', T>): Summary<T> {
    return this.kpis.createSummary(config);
  }

  /**
   * Starts timing one job; the returned `end` records `queue_job_duration_seconds` (and with
   * `'completed'`, `queue_jobs_completed_total`) and returns the seconds.
   */
  startJobTimer(queueName: string, jobType: string): (status?: 'completed' | 'failed') => number {
    return this.queues.startJobTimer(queueName, jobType);
  }

  /** Sets `active_jobs_total{queue_name}`. */
  setActiveJobs(queueName: string, count: number): void {
    this.queues.setActiveJobs(queueName, count);
  }

  /** Counts a failed job (`queue_failures_total{queue_name,error_type}`). */
  trackQueueFailure(queueName: string, errorType: string): void {
    this.queues.trackQueueFailure(queueName, errorType);
  }

  /** Counts a completed job (`queue_jobs_completed_total{queue_name,job_type}`). */
  trackJobCompleted(queueName: string, jobType: string): void {
    this.queues.trackJobCompleted(queueName, jobType);
  }

  /** Records how long a job waited before a worker took it. */
  observeWaitTime(queueName: string, seconds: number): void {
    this.queues.observeWaitTime(queueName, seconds);
  }

  /** Sets the backlog of a queue you read yourself. */
  setBacklog(queueName: string, backlog: QueueBacklog): void {
    this.queues.setBacklog(queueName, backlog);
  }

  /** Watches a BullMQ queue (backlog at every scrape, jobs from their events). Needs `bullmq`. */
  watchBullQueue(queue: WatchableBullQueue): Promise<void> {
    return this.queues.watchBullQueue(queue);
  }
}
