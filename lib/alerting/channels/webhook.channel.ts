import { createHmac } from 'node:crypto';
import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskSecret, maskUrl } from './http-delivery';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';
import { slackPayload } from './slack.channel';

const PATH = 'alerting.channels.webhook';

/** Header carrying the HMAC-SHA256 signature of a webhook body. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-alert-signature';

/**
 * Computes the webhook signature `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * Receivers recompute it with the shared secret and reject old timestamps (replays).
 *
 * @example
 * ```ts
 * const [t, v1] = header.split(',').map((part) => part.split('=')[1]);
 * const ok = signWebhookBody(secret, rawBody, Number(t)) === header && Date.now() / 1000 - Number(t) < 300;
 * ```
 */
export function signWebhookBody(secret: string, body: string, timestampSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/**
 * Generic webhook: POSTs a JSON body with the rendered `title`/`text` and every alert
 * (`ALERT_WEBHOOK_URL`), with custom headers and an optional HMAC signature.
 *
 * @internal
 */
export class WebhookChannel implements AlertChannel, RuntimeConfigurable {
  readonly name = 'webhook';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;
  private headers: Record<string, string>;
  private secret: string | undefined;
  private readonly format: 'json' | 'slack' | undefined;
  private readonly configuredUrl: string;
  private readonly secrets = new SecretScrubber();

  constructor(
    options: {
      url: string;
      headers?: Record<string, string>;
      secret?: string;
      format?: 'json' | 'slack';
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.url = options.url;
    this.configuredUrl = options.url;
    this.secrets.addOptions(options, PATH);
    this.headers = options.headers ?? {};
    this.secret = options.secret;
    this.format = options.format;
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const body = JSON.stringify(
      this.isSlack()
        ? slackPayload(notification, title, text)
        : this.jsonPayload(notification, title, text),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'nestjs-observability',
      ...this.headers,
    };
    if (this.secret) {
      headers[WEBHOOK_SIGNATURE_HEADER] = signWebhookBody(
        this.secret,
        body,
        Math.floor(Date.now() / 1000),
      );
    }
    await httpDeliver(this.url, { headers, body }, signal, this.secrets);
  }

  /**
   * `format`, or `slack` for a `hooks.slack.com` URL: `ALERT_WEBHOOK_URL` often points at a
   * Slack incoming webhook, which rejects other bodies.
   */
  private isSlack(): boolean {
    if (this.format) return this.format === 'slack';
    try {
      return new URL(this.url).hostname === 'hooks.slack.com';
    } catch {
      return false;
    }
  }

  private jsonPayload(notification: AlertNotification, title: string, text: string) {
    return {
      version: '1',
      status: notification.status,
      severity: notification.severity,
      groupKey: notification.groupKey,
      service: notification.service,
      environment: notification.environment,
      escalation: notification.escalation === true,
      test: notification.test === true,
      title,
      text,
      alerts: notification.alerts.map((alert) => ({
        name: alert.name,
        status: alert.status,
        severity: alert.severity,
        summary: alert.summary,
        description: alert.description,
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: alert.startsAt.toISOString(),
        endsAt: alert.endsAt?.toISOString(),
        fingerprint: alert.fingerprint,
      })),
    };
  }

  describe(): Record<string, unknown> {
    return {
      type: 'webhook',
      url: maskUrl(this.url),
      headers: Object.keys(this.headers),
      signed: this.secret ? maskSecret(this.secret) : false,
    };
  }

  runtimeConfig(): RuntimeConfig {
    return {
      targetKey: 'url',
      target: this.url,
      configuredTarget: this.configuredUrl,
      credentials: { headers: Object.keys(this.headers).length > 0, secret: !!this.secret },
    };
  }

  reconfigure(change: Readonly<Record<string, unknown>>): void {
    this.secrets.addOptions({ ...change }, PATH);
    if (typeof change.url === 'string') this.url = change.url;
    if (change.headers !== undefined) this.headers = { ...(change.headers as object) };
    if (change.secret !== undefined) this.secret = (change.secret as string | null) ?? undefined;
  }
}
