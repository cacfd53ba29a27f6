import type { AlertNotification } from '../alert.types';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';

/**
 * Prometheus Alertmanager: `POST {url}/api/v2/alerts` with postable alerts (`labels` with
 * `alertname`, `severity` and `service`; `annotations` with `summary` and `description`;
 * `startsAt`; `endsAt` once resolved). Several replicas sending the same alert are deduplicated
 * and grouped by Alertmanager itself. A firing alert carries `endsAt` = now + the longest repeat
 * interval + 5 minutes: each repeat extends it, so Alertmanager keeps it active while it fires and
 * resolves it on its own if this process dies.
 */
export class AlertmanagerChannel implements AlertChannel {
  readonly name = 'alertmanager';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;

  constructor(
    private readonly options: {
      url: string;
      generatorUrl?: string;
      /** How long a firing alert stays active in Alertmanager unless sent again. */
      firingTtlMs?: number;
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const alerts = notification.alerts.map((alert) => ({
      labels: {
        ...alert.labels,
        alertname: alert.name,
        severity: alert.severity,
        service: this.context.service,
      },
      annotations: {
        ...alert.annotations,
        summary: alert.summary,
        ...(alert.description ? { description: alert.description } : {}),
      },
      startsAt: alert.startsAt.toISOString(),
      ...(alert.endsAt
        ? { endsAt: alert.endsAt.toISOString() }
        : this.options.firingTtlMs
          ? { endsAt: new Date(Date.now() + this.options.firingTtlMs).toISOString() }
          : {}),
      ...(this.options.generatorUrl ? { generatorURL: this.options.generatorUrl } : {}),
    }));
    await httpDeliver(
      `${this.url}/api/v2/alerts`,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) },
      signal,
    );
  }

  describe(): Record<string, unknown> {
    return { type: 'alertmanager', url: maskUrl(this.url) };
  }

  setTarget(url: string): void {
    this.url = url.replace(/\/+$/, '');
  }
}
