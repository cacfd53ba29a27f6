import { createHash } from 'node:crypto';

/** How urgent an alert is. Routes and channels map it to their own levels. */
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** `firing` while the condition holds; `resolved` once, when it ends. */
export type AlertStatus = 'firing' | 'resolved';

/** The severities, in increasing urgency. */
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

/**
 * What a caller passes to `AlertingService.send()`.
 *
 * @example
 * ```ts
 * alerting.send({
 *   name: 'HighQueueFailureRate',
 *   severity: 'warning',
 *   summary: 'Queue "emails" is failing',
 *   labels: { queue: 'emails' },
 * });
 * ```
 */
export interface AlertInput {
  /** Alert name, like a Prometheus `alertname` (`PaymentFailure`). */
  name: string;
  severity: AlertSeverity;
  /** One line a human reads first. */
  summary: string;
  /** Longer text. */
  description?: string;
  /** Identify the alert: with `name`, they make the fingerprint. Keep values bounded. */
  labels?: Record<string, string>;
  /** Extra information (ids, links, job data) that does not change the identity. */
  annotations?: Record<string, string>;
  /**
   * Identity used for dedup, resolve and acknowledge.
   * @default a hash of `name` and `labels`
   */
  fingerprint?: string;
  /**
   * When the condition began.
   * @default now
   */
  startsAt?: Date;
}

/** An alert as the service keeps and delivers it. */
export interface Alert {
  name: string;
  severity: AlertSeverity;
  summary: string;
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: AlertStatus;
  startsAt: Date;
  /** Set when resolved. */
  endsAt?: Date;
  fingerprint: string;
  /** Who acknowledged it, if anyone. */
  acknowledgedBy?: string;
  acknowledgedAt?: Date;
}

/**
 * One message to one channel: a single alert or a group batched by the grouping window.
 * `escalation` is set when it goes to an escalation target, `test` for `POST /alerts/test`.
 */
export interface AlertNotification {
  /** Channel it is delivered to. */
  channel: string;
  status: AlertStatus;
  /** Highest severity among `alerts`. */
  severity: AlertSeverity;
  /** Identifies the group (route and `groupBy` label values). */
  groupKey: string;
  alerts: Alert[];
  escalation?: boolean;
  test?: boolean;
  /** Set when it reports an acknowledgement (channels with `notifiesAcknowledgements`). */
  acknowledged?: boolean;
  /** The `service` option, so receivers know the sender. */
  service: string;
  environment: string;
}

/**
 * Fingerprint of an alert: a hash of its name and sorted labels, like Alertmanager's. Stable
 * across processes, so several replicas agree on it.
 */
export function alertFingerprint(name: string, labels: Record<string, string>): string {
  const hash = createHash('sha256').update(name);
  for (const key of Object.keys(labels).sort()) {
    hash.update('\u0000').update(key).update('\u0001').update(labels[key]);
  }
  return hash.digest('hex').slice(0, 16);
}

/** The highest severity of `alerts`. */
export function highestSeverity(alerts: readonly Alert[]): AlertSeverity {
  let best = 0;
  for (const alert of alerts) best = Math.max(best, ALERT_SEVERITIES.indexOf(alert.severity));
  return ALERT_SEVERITIES[best];
}
