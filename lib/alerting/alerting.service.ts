import type { Counter, Histogram } from 'prom-client';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { GuardedCounter } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import { type AlertClock, systemClock } from './alert-clock';
import { type AlertChannelState, AlertDispatcher } from './alert-dispatcher';
import { createChannels } from './alert-channel.factory';
import {
  type Alert,
  ALERT_SEVERITIES,
  alertFingerprint,
  type AlertInput,
  type AlertNotification,
  highestSeverity,
} from './alert.types';
import type { AlertRoute, ResolvedAlertingOptions } from './alerting-options.interface';
import { isHttpUrl } from './resolve-alerting-options';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_TEXT = 4000;
const HISTORY_SIZE = 100;

interface Tracked {
  alert: Alert;
  routes: AlertRoute[];
  lastSentAt: number;
  repeatIntervalMs: number;
  escalation: unknown;
}

interface Group {
  status: Alert['status'];
  channels: string[];
  alerts: Map<string, Alert>;
  timer: unknown;
}

/** What `POST /alerts/configure` may change on a channel. */
export interface AlertChannelPatch {
  enabled?: boolean;
  url?: string;
}

const truncate = (text: string, max = MAX_TEXT): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

function errorParts(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name || 'Error', message: error.message };
  if (typeof error === 'string') return { type: error || 'unknown', message: error || 'unknown' };
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; type?: unknown };
    const type = [e.type, e.code, e.name].find((v) => typeof v === 'string' && v) as string;
    return { type: type ?? 'unknown', message: String(e.message ?? safeJson(error, 500)) };
  }
  return { type: 'unknown', message: String(error) };
}

function safeJson(value: unknown, max = 1000): string {
  try {
    return truncate(
      typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
      max,
    );
  } catch {
    return '[unserializable]';
  }
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
  private readonly active = new Map<string, Tracked>();
  private readonly groups = new Map<string, Group>();
  private readonly history: Alert[] = [];
  private readonly warned = new Set<string>();
  private readonly sent: Counter<string>;
  private readonly dropped: Counter<string>;
  private readonly durations: Histogram<string>;
  private unsubscribe: (() => void) | undefined;
  private readonly duplicates: { inc(value?: number): void };
  private readonly fingerprints = new Map<string, string>();

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
    for (const tracked of this.active.values()) this.clock.clearTimeout(tracked.escalation);
    for (const key of [...this.groups.keys()]) this.flushGroup(key);
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
      const alert = this.normalize(input);
      if (!alert) return;
      const now = this.clock.now();
      const existing = this.active.get(alert.fingerprint);
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
        this.notify(existing);
        return;
      }
      if (this.active.size >= this.options.maxActiveAlerts) {
        this.dropped.inc({ reason: 'too_many_active' });
        this.warnOnce('too_many_active', Messages.alertTooManyActive(this.options.maxActiveAlerts));
        return;
      }
      const routes = this.route(alert);
      const tracked: Tracked = {
        alert,
        routes,
        lastSentAt: now,
        repeatIntervalMs: Math.min(
          ...routes.map((r) => r.repeatIntervalMs ?? this.options.repeatIntervalMs),
        ),
        escalation: undefined,
      };
      this.active.set(alert.fingerprint, tracked);
      this.notify(tracked);
      this.scheduleEscalation(tracked);
    } catch (error) {
      this.invalid((error as Error)?.message ?? String(error));
    }
  }

  /** Resolves the alert `fingerprint`: one `resolved` notification. False when not active. */
  resolve(fingerprint: string): boolean {
    const tracked = this.active.get(fingerprint);
    if (!tracked) return false;
    this.clock.clearTimeout(tracked.escalation);
    this.active.delete(fingerprint);
    tracked.alert = { ...tracked.alert, status: 'resolved', endsAt: new Date(this.clock.now()) };
    this.history.push(tracked.alert);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
    this.notify(tracked);
    return true;
  }

  /** Marks the alert acknowledged by `by`, which stops its escalation. False when not active. */
  acknowledge(fingerprint: string, by: string): boolean {
    const tracked = this.active.get(fingerprint);
    if (!tracked) return false;
    this.clock.clearTimeout(tracked.escalation);
    tracked.escalation = undefined;
    tracked.alert.acknowledgedBy = String(by ?? 'unknown');
    tracked.alert.acknowledgedAt = new Date(this.clock.now());
    const channels = new Set(tracked.routes.flatMap((route) => route.channels));
    for (const name of channels) {
      if (!this.dispatcher.channel(name)?.notifiesAcknowledgements) continue;
      if (!this.dispatcher.isEnabled(name)) continue;
      this.dispatcher.enqueue(
        this.notification(name, [{ ...tracked.alert }], tracked.alert.fingerprint, {
          acknowledged: true,
        }),
      );
    }
    return true;
  }

  /** The firing alerts. */
  getActive(): Alert[] {
    return [...this.active.values()].map((tracked) => ({ ...tracked.alert }));
  }

  /** The firing alerts, then (unless `activeOnly`) the last 100 resolved ones. */
  list(activeOnly: boolean): Alert[] {
    return activeOnly
      ? this.getActive()
      : [...this.getActive(), ...this.history.map((a) => ({ ...a }))];
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
    const { type, message } = errorParts(error);
    this.send({
      name: 'QueueJobFailed',
      severity: 'warning',
      summary: `Job failed in queue "${queueName}": ${message}`,
      labels: { queue: String(queueName ?? 'unknown'), error_type: type },
      annotations: {
        error: truncate(message, 1000),
        ...(jobData !== undefined ? { job: safeJson(jobData) } : {}),
      },
    });
  }

  /**
   * A failed payment (seed 001): `PaymentFailure`, `critical`, labels `error_type` (and
   * `payment_method` when `meta.paymentMethod` is set); the payment id and `meta` are
   * annotations, so failures of one kind dedup into one page.
   */
  alertPaymentFailure(paymentId: string, error: unknown, meta?: Record<string, unknown>): void {
    const { type, message } = errorParts(error);
    const method = meta?.paymentMethod ?? meta?.payment_method;
    this.send({
      name: 'PaymentFailure',
      severity: 'critical',
      summary: `Payment ${String(paymentId ?? 'unknown')} failed: ${message}`,
      labels: {
        error_type: type,
        ...(typeof method === 'string' && method ? { payment_method: method } : {}),
      },
      annotations: {
        payment_id: String(paymentId ?? 'unknown'),
        ...(meta ? { meta: safeJson(meta) } : {}),
      },
    });
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
    const ratio = baselineCost > 0 ? currentCost / baselineCost : Infinity;
    const currency = meta.currency ?? 'USD';
    this.send({
      name: 'CostSpikeDetected',
      severity: ratio >= 5 ? 'critical' : 'warning',
      summary:
        `AI cost ${currentCost.toFixed(2)} ${currency}` +
        `${meta.window ? ` over ${meta.window}` : ''} is ` +
        `${Number.isFinite(ratio) ? ratio.toFixed(1) : '∞'}x the baseline ${baselineCost.toFixed(2)} ${currency}`,
      labels: {
        ...(meta.provider ? { provider: meta.provider } : {}),
        ...(meta.model ? { model: meta.model } : {}),
      },
      annotations: {
        current_cost: String(currentCost),
        baseline_cost: String(baselineCost),
      },
    });
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
    return this.dispatcher.deliverNow(this.notification(channel, [alert], 'test', { test: true }));
  }

  /** Names of the configured channels. */
  channelNames(): string[] {
    return this.dispatcher.channelNames();
  }

  private normalize(input: AlertInput): Alert | undefined {
    if (!input || typeof input !== 'object') return this.invalid('the alert is not an object');
    const { name, severity, summary } = input;
    if (typeof name !== 'string' || !name.trim())
      return this.invalid('"name" must be a non-empty string');
    if (!ALERT_SEVERITIES.includes(severity)) {
      return this.invalid(
        `"severity" must be info, warning or critical, got ${JSON.stringify(severity)}`,
      );
    }
    if (typeof summary !== 'string' || !summary.trim()) {
      return this.invalid('"summary" must be a non-empty string');
    }
    const labels: Record<string, string> = {};
    if (input.labels && typeof input.labels === 'object') {
      for (const [key, value] of Object.entries(input.labels)) {
        if (value === undefined || value === null) continue;
        const label = LABEL_NAME.test(key)
          ? key
          : key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(\d)/, '_$1');
        labels[label] = truncate(String(value), 256);
      }
    }
    const annotations: Record<string, string> = {};
    if (input.annotations && typeof input.annotations === 'object') {
      for (const [key, value] of Object.entries(input.annotations)) {
        if (value === undefined || value === null) continue;
        annotations[key] = typeof value === 'string' ? truncate(value) : safeJson(value);
      }
    }
    const startsAt =
      input.startsAt instanceof Date && !Number.isNaN(input.startsAt.getTime())
        ? input.startsAt
        : new Date(this.clock.now());
    return {
      name: truncate(name.trim(), 200),
      severity,
      summary: truncate(summary),
      ...(typeof input.description === 'string' && input.description
        ? { description: truncate(input.description) }
        : {}),
      labels,
      annotations,
      status: 'firing',
      startsAt,
      fingerprint:
        typeof input.fingerprint === 'string' && input.fingerprint
          ? truncate(input.fingerprint, 255)
          : this.fingerprintOf(name.trim(), labels),
    };
  }

  /** `alertFingerprint`, memoised: hashing dominates the cost of a repeated send. */
  private fingerprintOf(name: string, labels: Record<string, string>): string {
    let key = name;
    for (const label of Object.keys(labels).sort()) key += `\u0000${label}\u0001${labels[label]}`;
    let fingerprint = this.fingerprints.get(key);
    if (fingerprint === undefined) {
      if (this.fingerprints.size >= 10_000) this.fingerprints.clear();
      fingerprint = alertFingerprint(name, labels);
      this.fingerprints.set(key, fingerprint);
    }
    return fingerprint;
  }

  private invalid(detail: string): undefined {
    this.dropped.inc({ reason: 'invalid' });
    this.warnOnce('invalid', Messages.invalidAlert(detail));
    return undefined;
  }

  /** The routes that take `alert`, or the default route (every channel). */
  private route(alert: Alert): AlertRoute[] {
    const taken: AlertRoute[] = [];
    for (const route of this.options.routes) {
      const severities = route.severity === undefined ? undefined : [route.severity].flat();
      if (severities && !severities.includes(alert.severity)) continue;
      const match = route.match ?? {};
      const fits = Object.entries(match).every(([label, value]) =>
        label === 'alertname'
          ? alert.name === value
          : label === 'severity'
            ? alert.severity === value
            : alert.labels[label] === value,
      );
      if (!fits) continue;
      taken.push(route);
      if (!route.continue) break;
    }
    return taken.length > 0 ? taken : [{ channels: this.dispatcher.channelNames() }];
  }

  private notify(tracked: Tracked): void {
    const alert = { ...tracked.alert };
    tracked.routes.forEach((route) => {
      const channels = route.channels.filter((name) => this.dispatcher.isEnabled(name));
      if (channels.length === 0) return;
      const wait = route.groupWaitMs ?? this.options.groupWaitMs;
      if (wait <= 0) {
        for (const channel of channels)
          this.dispatcher.enqueue(this.notification(channel, [alert], alert.fingerprint));
        return;
      }
      const groupBy = route.groupBy ?? ['alertname'];
      const values = groupBy.map((l) => (l === 'alertname' ? alert.name : (alert.labels[l] ?? '')));
      const key = `${this.options.routes.indexOf(route)}|${alert.status}|${JSON.stringify(values)}`;
      let group = this.groups.get(key);
      if (!group) {
        group = {
          status: alert.status,
          channels,
          alerts: new Map(),
          timer: this.clock.setTimeout(() => this.flushGroup(key), wait),
        };
        this.groups.set(key, group);
      }
      group.alerts.set(alert.fingerprint, alert);
    });
  }

  private flushGroup(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    this.clock.clearTimeout(group.timer);
    const alerts = [...group.alerts.values()];
    for (const channel of group.channels) {
      this.dispatcher.enqueue(this.notification(channel, alerts, key));
    }
  }

  /**
   * Escalation chain: each `escalateTo` entry (a channel or a list of channels) is the next
   * target, reached `escalateAfterMs` after the previous one while the alert stays firing and
   * unacknowledged.
   */
  private scheduleEscalation(tracked: Tracked, level = 0): void {
    if (tracked.alert.severity !== 'critical') return;
    const route = tracked.routes.find((r) => r.escalateAfterMs && r.escalateTo?.length);
    const levels = route?.escalateTo ?? [];
    if (!route || level >= levels.length) return;
    tracked.escalation = this.clock.setTimeout(() => {
      tracked.escalation = undefined;
      const current = this.active.get(tracked.alert.fingerprint);
      if (current !== tracked || tracked.alert.acknowledgedBy) return;
      for (const channel of [levels[level]].flat()) {
        if (!this.dispatcher.isEnabled(channel)) continue;
        this.dispatcher.enqueue(
          this.notification(channel, [{ ...tracked.alert }], tracked.alert.fingerprint, {
            escalation: true,
          }),
        );
      }
      this.scheduleEscalation(tracked, level + 1);
    }, route.escalateAfterMs as number);
  }

  private notification(
    channel: string,
    alerts: Alert[],
    groupKey: string,
    extra: { escalation?: boolean; test?: boolean; acknowledged?: boolean } = {},
  ): AlertNotification {
    return {
      channel,
      status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
      severity: highestSeverity(alerts),
      groupKey,
      alerts,
      service: this.root.service,
      environment: this.root.environment,
      ...extra,
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}
