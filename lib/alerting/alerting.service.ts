import type { Counter, Histogram } from 'prom-client';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { GuardedCounter } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import { ActiveAlerts, HISTORY_SIZE, type TrackedAlert } from './active-alerts';
import { costSpikeAlert, paymentFailureAlert, queueFailureAlert } from './alert-builders';
import { type AlertClock, systemClock } from './alert-clock';
import { type AlertChannelState, AlertDispatcher } from './alert-dispatcher';
import { createChannels } from './alert-channel.factory';
import { AlertEscalation } from './alert-escalation';
import { AlertGrouper } from './alert-grouper';
import { buildNotification } from './alert-notification';
import { AlertNormalizer } from './alert-normalizer';
import { AlertRouter } from './alert-router';
import { type Alert, alertFingerprint, type AlertInput, type AlertSeverity } from './alert.types';
import type { ResolvedAlertingOptions } from './alerting-options.interface';
import { type AlertChannelPatch, configureChannel, publicDeliveryError } from './channel-admin';

export type { AlertChannelPatch } from './channel-admin';

/** How often at most the active set is scanned for alerts past their TTL while alerts arrive. */
const SWEEP_INTERVAL_MS = 60_000;
/** The active-alert TTL, in repeat intervals, when `alerting.activeAlertTtlMs` is not set. */
const TTL_REPEAT_INTERVALS = 3;

/**
 * Sends alerts to the configured channels with Alertmanager's semantics: routes by labels and
 * severity, dedup by fingerprint within `repeatIntervalMs`, one resolve, grouping windows,
 * escalation of unacknowledged critical alerts, and background delivery with retries, backoff,
 * a circuit breaker per channel and a bounded queue.
 *
 * Every method returns at once and never throws into the caller: delivery happens in the
 * background and never adds latency to a request.
 *
 * Alerting never goes dark: an alert nobody resolves leaves the active set after its TTL, and a
 * full set makes room by forgetting the least recently raised alert (non-critical ones first),
 * so a new critical alert is always delivered. On shutdown it keeps accepting and delivering
 * alerts until its flush (see {@link close}); what comes later is counted and logged as lost.
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
  private readonly expired: Counter<string>;
  private readonly durations: Histogram<string>;
  /** When the active set is next scanned for stale alerts. */
  private nextSweepAt = 0;
  /** Set when {@link close} starts: no new grouping window or escalation. */
  private closing = false;
  /** Set once the dispatcher stopped: alerts raised from then on are lost. */
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly duplicates: { inc(value?: number): void };

  /** @internal */
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
    this.expired = metrics.fromCatalog(MetricCatalog.alertsExpired);
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
        dropped: (reason, channel, count, lost) => {
          this.dropped.inc({ reason }, count);
          if (lost) {
            this.warnOnce('lost', Messages.alertLostAfterShutdown(lost.alerts[0]?.name ?? ''));
          } else if (reason === 'queue_full') {
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
    // A tracked payment failure raises alertPaymentFailure, unless switched off.
    if (this.options.paymentFailureSeverity !== false) {
      this.unsubscribe = customMetrics.onPaymentFailure((event) =>
        this.alertPaymentFailure(event.paymentId, event.errorType, {
          paymentMethod: event.paymentMethod,
        }),
      );
    }
  }

  /**
   * Flushes pending deliveries, for at most `alerting.delivery.shutdownTimeoutMs`. Alerts raised
   * during the flush are still delivered (grouping windows close at once); deliveries left at
   * its deadline, and every alert raised after it, are counted as
   * `alerts_dropped_total{reason="shutdown"}` and logged.
   *
   * The Nest module calls it in `onApplicationShutdown`, after the health grace period and the
   * HTTP server's close, so alerts raised while the application still serves are delivered.
   */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.closing = true;
    for (const tracked of this.alerts.values()) this.escalation.cancel(tracked);
    this.grouper.closeWindows();
    const timeout = this.options.delivery.shutdownTimeoutMs;
    const dropped = await this.dispatcher.shutdown(timeout);
    this.closed = true;
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
      if (this.closed) {
        this.dropped.inc({ reason: 'shutdown' });
        this.warnOnce('lost', Messages.alertLostAfterShutdown(alert.name));
        return;
      }
      const now = this.clock.now();
      if (now >= this.nextSweepAt) this.sweep(now);
      let existing = this.alerts.get(alert.fingerprint);
      if (existing && this.alerts.isStale(existing, now)) {
        this.expire(existing, 'ttl');
        existing = undefined;
      }
      if (existing) {
        // Refresh in place: queued notifications hold copies, never this object.
        const current = existing.alert;
        current.severity = alert.severity;
        current.summary = alert.summary;
        current.description = alert.description;
        current.annotations = alert.annotations;
        this.alerts.touch(existing, now);
        if (now - existing.lastSentAt < existing.repeatIntervalMs) {
          this.duplicates.inc();
          return;
        }
        existing.lastSentAt = now;
        this.grouper.notify(existing);
        return;
      }
      if (this.alerts.size >= this.options.maxActiveAlerts && !this.makeRoom(alert.severity)) {
        this.dropped.inc({ reason: 'too_many_active' });
        this.warnOnce('too_many_active', Messages.alertTooManyActive(this.options.maxActiveAlerts));
        return;
      }
      const routes = this.router.route(alert);
      const repeatIntervalMs = this.router.repeatIntervalMs(routes);
      const tracked: TrackedAlert = {
        alert,
        routes,
        lastSentAt: now,
        lastSeenAt: now,
        repeatIntervalMs,
        ttlMs:
          this.options.activeAlertTtlMs ??
          Math.max(TTL_REPEAT_INTERVALS * repeatIntervalMs, AlertEscalation.spanMs(routes)),
        escalation: undefined,
      };
      this.alerts.add(tracked);
      this.grouper.notify(tracked);
      if (!this.closing) this.escalation.schedule(tracked);
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

  /** The firing alerts (those past their TTL are forgotten first). */
  getActive(): Alert[] {
    this.sweep(this.clock.now());
    return this.alerts.firing();
  }

  /** The firing alerts, then (unless `activeOnly`) the last 100 resolved ones. @internal */
  list(activeOnly: boolean): Alert[] {
    return activeOnly ? this.getActive() : [...this.getActive(), ...this.alerts.resolved()];
  }

  /** The last `limit` (at most 100) resolved alerts, newest first. */
  history(limit = HISTORY_SIZE): Alert[] {
    return this.alerts.resolved().reverse().slice(0, Math.max(0, limit));
  }

  /** Health of each channel: unhealthy while its circuit breaker is open. */
  getChannelStates(): AlertChannelState[] {
    return this.dispatcher.states();
  }

  /** Resolves when no delivery is pending (tests, graceful jobs). @internal */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  /**
   * A failed queue job: `QueueJobFailed`, `warning`, labels `queue` and
   * `error_type`; the job data goes to the `job` annotation (truncated).
   */
  alertQueueFailure(queueName: string, error: unknown, jobData?: unknown): void {
    this.raise(() => queueFailureAlert(queueName, error, jobData));
  }

  /**
   * A failed payment: `PaymentFailure`, of severity `alerting.paymentFailureSeverity`
   * (`critical` by default), labels `error_type` (and
   * `payment_method` when `meta.paymentMethod` is set); the payment id and `meta` are
   * annotations, so failures of one kind dedup into one page.
   */
  alertPaymentFailure(paymentId: string, error: unknown, meta?: Record<string, unknown>): void {
    const severity = this.options.paymentFailureSeverity || 'critical';
    this.raise(() => paymentFailureAlert(paymentId, error, meta, severity));
  }

  /**
   * AI cost above its baseline (`CostSpikeDetected`): `warning`, or `critical` from
   * 5x the baseline (or `meta.severity`); labels `provider` and `model` when given. Amounts that are not finite
   * numbers >= 0 (a string, `NaN`) are dropped and counted
   * (`alerts_dropped_total{reason="invalid"}`), never thrown and never paged.
   */
  alertCostSpike(
    currentCost: number,
    baselineCost: number,
    meta: {
      provider?: string;
      model?: string;
      window?: string;
      currency?: string;
      severity?: 'warning' | 'critical';
    } = {},
  ): void {
    this.raise(() => costSpikeAlert(currentCost, baselineCost, meta ?? {}), 'cost_spike');
  }

  /** Descriptions of the channels, secrets masked (admin API). @internal */
  describeChannels(): Array<Record<string, unknown>> {
    const states = new Map(this.getChannelStates().map((s) => [s.channel, s]));
    return this.dispatcher.channelNames().map((name) => ({
      name,
      ...(this.dispatcher.channel(name)?.describe?.() ?? {}),
      ...states.get(name),
    }));
  }

  /**
   * Enables/disables a channel, or changes its target URL and credentials (admin API), within
   * the rules of `alerting.admin`: https, the configured origin or `allowedOrigins`, and the
   * credentials given again with a new origin. Returns the field errors, empty when applied.
   *
   * @internal
   */
  configureChannel(name: string, patch: AlertChannelPatch): Record<string, string> {
    return configureChannel(this.dispatcher, this.options.admin, name, patch);
  }

  /** Delivers a test alert to `channel` now, bypassing routes and dedup (admin API). @internal */
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
    return this.dispatcher
      .deliverNow(buildNotification(this.root, channel, [alert], 'test', { test: true }))
      .catch((error: unknown) => {
        throw publicDeliveryError(error);
      });
  }

  /** Names of the configured channels. @internal */
  channelNames(): string[] {
    return this.dispatcher.channelNames();
  }

  /** Forgets every alert past its TTL at `now`, and schedules the next periodic scan. */
  private sweep(now: number): void {
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const tracked of this.alerts.stale(now)) this.expire(tracked, 'ttl');
  }

  /** Forgets `tracked` without a resolve (its TTL ran out, or it makes room) and counts it. */
  private expire(tracked: TrackedAlert, reason: 'ttl' | 'evicted'): void {
    this.escalation.cancel(tracked);
    this.alerts.forget(tracked.alert.fingerprint);
    this.expired.inc({ reason });
  }

  /**
   * Frees one slot of the full active set for a new alert of `severity`: the least recently
   * raised non-critical alert goes first; a critical alert may also replace the least recently
   * raised critical one, so alerting never goes dark for pages. False when nothing may go.
   */
  private makeRoom(severity: AlertSeverity): boolean {
    const victim = this.alerts.leastRecent(severity === 'critical');
    if (!victim) return false;
    this.expire(victim, 'evicted');
    this.warnOnce('evicted', Messages.alertEvicted(this.options.maxActiveAlerts));
    return true;
  }

  /**
   * Sends the alert `build` returns. A builder throws on input it cannot turn into an alert:
   * that is counted and logged like any invalid alert, never thrown into the caller.
   */
  private raise(build: () => AlertInput, kind: 'alert' | 'cost_spike' = 'alert'): void {
    if (!this.options.enabled) return;
    let alert: AlertInput;
    try {
      alert = build();
    } catch (error) {
      this.invalid(error instanceof Error ? error.message : 'unreadable input', kind);
      return;
    }
    this.send(alert);
  }

  private invalid(detail: string, kind: 'alert' | 'cost_spike' = 'alert'): void {
    this.dropped.inc({ reason: 'invalid' });
    this.warnOnce(
      `invalid:${kind}`,
      kind === 'cost_spike' ? Messages.invalidCostSpike(detail) : Messages.invalidAlert(detail),
    );
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}
