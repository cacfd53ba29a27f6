import type { AlertNotification } from '../alert.types';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskSecret, maskUrl } from './http-delivery';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';

const PATH = 'alerting.channels.pagerduty';

/** The Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty Events API v2: one event per alert, `event_action` `trigger`, `acknowledge` (on
 * `AlertingService.acknowledge()`) or `resolve`,
 * `dedup_key` = the alert's fingerprint (so PagerDuty dedups repeats and the resolve closes the
 * incident), `payload.summary/severity/source/timestamp/class/custom_details` on triggers.
 */
export class PagerDutyChannel implements AlertChannel, RuntimeConfigurable {
  readonly name = 'pagerduty';
  readonly notifiesAcknowledgements = true;
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;
  private routingKey: string;
  private readonly secrets = new SecretScrubber();

  constructor(
    private readonly options: {
      routingKey: string;
      url?: string;
      source?: string;
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.url = options.url ?? PAGERDUTY_EVENTS_URL;
    this.routingKey = options.routingKey;
    this.secrets.addOptions(options, PATH);
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    for (const alert of notification.alerts) {
      const resolve = alert.status === 'resolved';
      const acknowledge = !resolve && notification.acknowledged === true;
      const event = {
        routing_key: this.routingKey,
        event_action: resolve ? 'resolve' : acknowledge ? 'acknowledge' : 'trigger',
        dedup_key: alert.fingerprint,
        ...(resolve || acknowledge
          ? {}
          : {
              payload: {
                summary: alert.summary.slice(0, 1024),
                severity: alert.severity,
                source: this.options.source ?? this.context.service,
                timestamp: alert.startsAt.toISOString(),
                class: alert.name,
                component: this.context.service,
                custom_details: {
                  description: alert.description,
                  labels: alert.labels,
                  annotations: alert.annotations,
                  environment: notification.environment,
                  escalation: notification.escalation === true,
                },
              },
              client: 'nestjs-observability',
            }),
      };
      await httpDeliver(
        this.url,
        { headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) },
        signal,
        this.secrets,
      );
    }
  }

  describe(): Record<string, unknown> {
    return {
      type: 'pagerduty',
      url: maskUrl(this.url),
      routingKey: maskSecret(this.routingKey),
    };
  }

  runtimeConfig(): RuntimeConfig {
    return {
      targetKey: 'url',
      target: this.url,
      configuredTarget: this.options.url ?? PAGERDUTY_EVENTS_URL,
      credentials: { routingKey: true },
    };
  }

  reconfigure(change: Readonly<Record<string, unknown>>): void {
    this.secrets.addOptions({ ...change }, PATH);
    if (typeof change.url === 'string') this.url = change.url;
    if (typeof change.routingKey === 'string') this.routingKey = change.routingKey;
  }
}
