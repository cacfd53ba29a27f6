import type { Counter, Histogram } from 'prom-client';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { GuardedCounter } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import { ActiveAlerts, type TrackedAlert } from './active-alerts';
import { costSpikeAlert, paymentFailureAlert, queueFailureAlert } from './alert-builders';
import { type AlertClock, systemClock } from './alert-clock';
import { type AlertChannelState, AlertDispatcher } from './alert-dispatcher';
import { createChannels } from './alert-channel.factory';
import { AlertEscalation } from './alert-escalation';
import { AlertGrouper } from './alert-grouper';
import { buildNotification } from './alert-notification';
import { AlertNormalizer } from './alert-normalizer';
import { AlertRouter } from './alert-router';
import { type Alert, alertFingerprint, type AlertInput } from './alert.types';
import type { ResolvedAlertingOptions } from './alerting-options.interface';
import { isHttpUrl } from './resolve-alerting-options';

/** What `POST /alerts/configure` may change on a channel. */
export interface AlertChannelPatch {
  enabled?: boolean;
  url?: string;
}

/**
 * Sends alerts to the configured channels with Alertmanager's semantics: routes by labels and
 * severity, dedup by fingerprint within `repeatIntervalMs`, one resolve, grouping windows,
 * escalation of unacknowledged critical alerts, and background delivery with retries, backoff,
 * a circuit breaker per channel and a bounded queue.
 *
 * Every method returns at once and never throws into the caller: delivery happens in the
 * background and never adds latency to a request.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class BillingService {
 *   constructor(private readonly alerts: AlertingService) {}
 *
 *   async charge(paymentId: string) {
 *     try {
 *       await this.stripe.charge(paymentId);
 *     } catch (error) {
 *       this.alerts.alertPaymentFailure(paymentId, error, { plan: 'pro' });
 *       throw error;
 *     }
 *   }
 * }
 * ```
 */
export class AlertingService {
  private readonly logger: DiagnosticLogger;
  private readonly options: ResolvedAlertingOptions;
  private readonly clock: AlertClock;
  private readonly dispatcher: AlertDispatcher;
  private readonly alerts = new ActiveAlerts();
  private readonly normalizer: AlertNormalizer;
  private readonly router: AlertRouter;
  private readonly grouper: AlertGrouper;
  private readonly escalation: AlertEscalation;
  private readonly warned = new Set<string>();
  private readonly sent: Counter<string>;
  private readonly dropped: Counter<string>;
  private readonly durations: Histogram<string>;
  private unsubscribe: (() => void) | undefined;
  private readonly duplicates: { inc(value?: number): void };

  constructor(
    private readonly root: ResolvedObservabilityOptions,
    metrics: MetricsRegistry,
    customMetrics: CustomMetricsService,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Alerting');
    this.options = root.alerting;
    this.clock = this.options.clock ?? systemClock;
    this.sent = metrics.fromCatalog(MetricCatalog.alertsSent);
    this.dropped = metrics.fromCatalog(MetricCatalog.alertsDropped);
    this.durations = metrics.fromCatalog(MetricCatalog.alertDeliveryDuration);
    // The dedup path runs on every repeated send: a pre-admitted child skips label checks.
    this.duplicates = (this.dropped as unknown as GuardedCounter).bind({ reason: 'duplicate' });
    const channels = createChannels(this.options, root.service, log);
    const { delivery } = this.options;
    this.dispatcher = new AlertDispatcher(
      channels,
      { ...delivery, queueMaxSize: this.options.queueMaxSize, clock: this.clock },
      {
        delivered: (notification, status, reason) => {
          this.sent.inc({ channel: notification.channel, severity: notification.severity, status });
          if (status === 'failed') {
            this.logger.error(Messages.alertDeliveryFailed(notification.channel, reason ?? ''));
          }
        },
        dropped: (reason, channel, count) => {
          this.dropped.inc({ reason }, count);
          if (reason === 'queue_full') {
            this.warnOnce(
              `queue_full:${channel}`,
              Messages.alertQueueFull(channel, this.options.queueMaxSize),
            );
          }
        },
        duration: (channel, seconds) => this.durations.observe({ channel }, seconds),
        retrying: (channel, attempt, delayMs, reason) =>
          this.logger.warn(Messages.alertDeliveryRetry(channel, attempt, delayMs, reason)),
        circuitOpened: (channel, failures) =>
          this.logger.error(
            Messages.alertCircuitOpen(channel, failures, delivery.breakerCooldownMs),
          ),
      },
    );
    for (const channel of this.options.channels) {
      if (!channel.enabled) this.dispatcher.setEnabled(channel.name, false);
    }
    this.normalizer = new AlertNormalizer(this.clock, (detail) => this.invalid(detail));
    this.router = new AlertRouter(this.options.routes, this.options.repeatIntervalMs, () =>
      this.dispatcher.channelNames(),
    );
    this.grouper = new AlertGrouper(
      this.dispatcher,
      this.router,
      root,
      this.clock,
      this.options.groupWaitMs,
    );
    this.escalation = new AlertEscalation(this.dispatcher, this.alerts, root, this.clock);
    // A tracked payment failure raises alertPaymentFailure.
    this.unsubscribe = customMetrics.onPaymentFailure((event) =>
      this.alertPaymentFailure(event.paymentId, event.errorType, {
        paymentMethod: event.paymentMethod,
      }),
    );
  }

  /** Flushes pending deliveries, for at most `alerting.delivery.shutdownTimeoutMs`. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const tracked of this.alerts.values()) this.escalation.cancel(tracked);
    this.grouper.flushAll();
    const timeout = this.options.delivery.shutdownTimeoutMs;
    const dropped = await this.dispatcher.shutdown(timeout);
    if (dropped > 0) this.logger.warn(Messages.alertShutdownDropped(dropped, timeout));
  }

  /**
   * Raises (or refreshes) an alert. Returns at once; delivery is asynchronous. The same
   * fingerprint is not sent again within the repeat interval while it keeps firing. Invalid
   * input is dropped and counted (`alerts_dropped_total{reason="invalid"}`), never thrown.
   */
  send(input: AlertInput): void {
    if (!this.options.enabled) return;
    try {
      const alert = this.normalizer.normalize(input);
      if (!alert) return;
      const now = this.clock.now();
      const existing = this.alerts.get(alert.fingerprint);
      if (existing) {
        // Refresh in place: queued notifications hold copies, never this object.
        const current = existing.alert;
        current.severity = alert.severity;
        current.summary = alert.summary;
        current.description = alert.description;
        current.annotations = alert.annotations;
        if (now - existing.lastSentAt < existing.repeatIntervalMs) {
          this.duplicates.inc();
          return;
        }
        existing.lastSentAt = now;
        this.grouper.notify(existing);
        return;
      }
      if (this.alerts.size >= this.options.maxActiveAlerts) {
        this.dropped.inc({ reason: 'too_many_active' });
        this.warnOnce('too_many_active', Messages.alertTooManyActive(this.options.maxActiveAlerts));
        return;
      }
      const routes = this.router.route(alert);
      const tracked: TrackedAlert = {
        alert,
        routes,
        lastSentAt: now,
        repeatIntervalMs: this.router.repeatIntervalMs(routes),
        escalation: undefined,
      };
      this.alerts.add(tracked);
      this.grouper.notify(tracked);
      this.escalation.schedule(tracked);
    } catch (error) {
      this.invalid((error as Error)?.message ?? String(error));
    }
  }

  /** Resolves the alert `fingerprint`: one `resolved` notification. False when not active. */
  resolve(fingerprint: string): boolean {
    const tracked = this.alerts.get(fingerprint);
    if (!tracked) return false;
    this.escalation.cancel(tracked);
    tracked.alert = { ...tracked.alert, status: 'resolved', endsAt: new Date(this.clock.now()) };
    this.alerts.retire(fingerprint, tracked.alert);
    this.grouper.notify(tracked);
    return true;
  }

  /** Marks the alert acknowledged by `by`, which stops its escalation. False when not active. */
  acknowledge(fingerprint: string, by: string): boolean {
    const tracked = this.alerts.get(fingerprint);
    if (!tracked) return false;
    this.escalation.cancel(tracked);
    tracked.alert.acknowledgedBy = String(by ?? 'unknown');
    tracked.alert.acknowledgedAt = new Date(this.clock.now());
    const channels = new Set(tracked.routes.flatMap((route) => route.channels));
    for (const name of channels) {
      if (!this.dispatcher.channel(name)?.notifiesAcknowledgements) continue;
      if (!this.dispatcher.isEnabled(name)) continue;
      this.dispatcher.enqueue(
        buildNotification(this.root, name, [{ ...tracked.alert }], tracked.alert.fingerprint, {
          acknowledged: true,
        }),
      );
    }
    return true;
  }

  /** The firing alerts. */
  getActive(): Alert[] {
    return this.alerts.firing();
  }

  /** The firing alerts, then (unless `activeOnly`) the last 100 resolved ones. */
  list(activeOnly: boolean): Alert[] {
    return activeOnly ? this.getActive() : [...this.getActive(), ...this.alerts.resolved()];
  }

  /** Health of each channel: unhealthy while its circuit breaker is open. */
  getChannelStates(): AlertChannelState[] {
    return this.dispatcher.states();
  }

  /** Resolves when no delivery is pending (tests, graceful jobs). */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  /**
   * A failed queue job (seed 001): `QueueJobFailed`, `warning`, labels `queue` and
   * `error_type`; the job data goes to the `job` annotation (truncated).
   */
  alertQueueFailure(queueName: string, error: unknown, jobData?: unknown): void {
    this.send(queueFailureAlert(queueName, error, jobData));
  }

  /**
   * A failed payment (seed 001): `PaymentFailure`, `critical`, labels `error_type` (and
   * `payment_method` when `meta.paymentMethod` is set); the payment id and `meta` are
   * annotations, so failures of one kind dedup into one page.
   */
  alertPaymentFailure(paymentId: string, error: unknown, meta?: Record<string, unknown>): void {
    this.send(paymentFailureAlert(paymentId, error, meta));
  }

  /**
   * AI cost above its baseline (seed 003, `CostSpikeDetected`): `warning`, or `critical` from
   * 5x the baseline; labels `provider` and `model` when given.
   */
  alertCostSpike(
    currentCost: number,
    baselineCost: number,
    meta: { provider?: string; model?: string; window?: string; currency?: string } = {},
  ): void {
    this.send(costSpikeAlert(currentCost, baselineCost, meta));
  }

  /** Descriptions of the channels, secrets masked (admin API). */
  describeChannels(): Array<Record<string, unknown>> {
    const states = new Map(this.getChannelStates().map((s) => [s.channel, s]));
    return this.dispatcher.channelNames().map((name) => ({
      name,
      ...(this.dispatcher.channel(name)?.describe?.() ?? {}),
      ...states.get(name),
    }));
  }

  /**
   * Enables/disables a channel or changes its target URL (admin API). Returns the field errors,
   * empty when applied.
   */
  configureChannel(name: string, patch: AlertChannelPatch): Record<string, string> {
    const errors: Record<string, string> = {};
    const channel = this.dispatcher.channel(name);
    if (!channel) errors.channel = `expected one of ${this.dispatcher.channelNames().join(', ')}`;
    if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') {
      errors.enabled = 'expected a boolean';
    }
    if (patch.url !== undefined) {
      if (!isHttpUrl(patch.url)) errors.url = 'expected an http(s) URL';
      else if (channel && !channel.setTarget) errors.url = `channel "${name}" has no URL target`;
    }
    if (Object.keys(errors).length > 0 || !channel) return errors;
    if (patch.url !== undefined) channel.setTarget?.(patch.url);
    if (patch.enabled !== undefined) this.dispatcher.setEnabled(name, patch.enabled);
    return errors;
  }

  /** Delivers a test alert to `channel` now, bypassing routes and dedup (admin API). */
  testChannel(channel: string): Promise<void> {
    const now = new Date(this.clock.now());
    const alert: Alert = {
      name: 'TestAlert',
      severity: 'info',
      summary: `Test alert from ${this.root.service}`,
      labels: { test: 'true' },
      annotations: {},
      status: 'firing',
      startsAt: now,
      fingerprint: alertFingerprint('TestAlert', { channel }),
    };
    return this.dispatcher.deliverNow(
      buildNotification(this.root, channel, [alert], 'test', { test: true }),
    );
  }

  /** Names of the configured channels. */
  channelNames(): string[] {
    return this.dispatcher.channelNames();
  }

  private invalid(detail: string): void {
    this.dropped.inc({ reason: 'invalid' });
    this.warnOnce('invalid', Messages.invalidAlert(detail));
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}
