import type { AlertNotification } from '../alert.types';

/**
 * A destination of alerts. Built-in channels implement it; add your own through
 * `alerting.channels.custom`.
 *
 * `send` delivers one notification or throws. Throw a {@link AlertDeliveryError} with
 * `retryable: false` for errors a retry cannot fix (a 4xx); any other error is retried with
 * backoff. Honour `signal`: it aborts when the channel's timeout elapses.
 *
 * @example
 * ```ts
 * class TeamsChannel implements AlertChannel {
 *   readonly name = 'teams';
 *   async send(notification: AlertNotification, signal: AbortSignal) {
 *     const res = await fetch(url, { method: 'POST', body: JSON.stringify({ text: notification.alerts[0].summary }), signal });
 *     if (!res.ok) throw new AlertDeliveryError(`HTTP ${res.status}`, { retryable: res.status >= 500, status: res.status });
 *   }
 * }
 * ```
 */
export interface AlertChannel {
  /** Routable name, unique among channels. */
  readonly name: string;
  send(notification: AlertNotification, signal: AbortSignal): Promise<void>;
  /** Per-channel timeout in milliseconds, overriding `alerting.delivery.timeoutMs`. */
  readonly timeoutMs?: number;
  /** Receives `acknowledge()` calls as notifications with `acknowledged: true` (PagerDuty). */
  readonly notifiesAcknowledgements?: boolean;
  /** Deliveries allowed per minute. */
  readonly rateLimitPerMinute?: number;
  /** What the admin API and logs show about the target, secrets masked. */
  describe?(): Record<string, unknown>;
  /**
   * Changes the target at runtime (admin API `POST /alerts/configure` with `url`). The admin API
   * calls it only with an https URL (or loopback http with `alerting.admin.allowLoopbackHttp`)
   * on an origin listed in `alerting.admin.allowedOrigins`, since it cannot know which
   * credentials your channel would carry there.
   */
  setTarget?(url: string): void;
}

/** A failed delivery, with what the retry policy needs to know. */
export class AlertDeliveryError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(
    message: string,
    details: { retryable: boolean; retryAfterMs?: number; status?: number },
  ) {
    super(message);
    this.name = 'AlertDeliveryError';
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
  }
}
