import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';

const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** Embed colours (decimal RGB): red, amber, blue; green once resolved. */
export const DISCORD_COLORS = {
  critical: 0xe01e5a,
  warning: 0xf2c744,
  info: 0x3b88c3,
  resolved: 0x2eb67d,
} as const;

/**
 * Discord webhook with one embed: `title`, `description`, `color` by severity, `fields`
 * (severity, service, environment, then up to 20 labels) and an ISO `timestamp`.
 */
export class DiscordChannel implements AlertChannel {
  readonly name = 'discord';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;

  constructor(
    private readonly options: {
      webhookUrl: string;
      username?: string;
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.url = options.webhookUrl;
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const first = notification.alerts[0];
    const labels = Object.entries(first?.labels ?? {}).slice(0, 20);
    const body = {
      ...(this.options.username ? { username: this.options.username } : {}),
      embeds: [
        {
          title: truncate(title, 256),
          description: truncate(text, 4096),
          color:
            notification.status === 'resolved'
              ? DISCORD_COLORS.resolved
              : DISCORD_COLORS[notification.severity],
          fields: [
            { name: 'Severity', value: notification.severity, inline: true },
            { name: 'Service', value: notification.service, inline: true },
            { name: 'Environment', value: notification.environment, inline: true },
            ...labels.map(([name, value]) => ({
              name: truncate(name, 256),
              value: truncate(value || '-', 1024),
              inline: true,
            })),
          ],
          timestamp: (first?.endsAt ?? first?.startsAt ?? new Date()).toISOString(),
          footer: { text: `fingerprint ${first?.fingerprint ?? '-'}` },
        },
      ],
    };
    await httpDeliver(
      this.url,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      signal,
    );
  }

  describe(): Record<string, unknown> {
    return { type: 'discord', webhookUrl: maskUrl(this.url) };
  }

  setTarget(url: string): void {
    this.url = url;
  }
}
