import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';

const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

const EMOJI = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' };

/**
 * The Block Kit body of a Slack incoming webhook: `header`, mrkdwn `section`, `context`, and
 * `text` as the notification fallback.
 */
export function slackPayload(
  notification: AlertNotification,
  title: string,
  text: string,
  options: { channel?: string; username?: string } = {},
): Record<string, unknown> {
  const icon =
    notification.status === 'resolved' ? ':white_check_mark:' : EMOJI[notification.severity];
  return {
    text: truncate(`${icon} ${title}`, 3000),
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(text || title, 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `${icon} *${notification.severity}* · service \`${notification.service}\`` +
              ` · ${notification.environment}`,
          },
        ],
      },
    ],
  };
}

/**
 * Slack incoming webhook with Block Kit: a `header` block with the title, a `section` with the
 * text (mrkdwn) and a `context` with service, environment and severity. `text` carries the
 * title too, as Slack's notification fallback.
 */
export class SlackChannel implements AlertChannel {
  readonly name = 'slack';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;

  constructor(
    private readonly options: {
      webhookUrl: string;
      channel?: string;
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
    const body = slackPayload(notification, title, text, this.options);
    await httpDeliver(
      this.url,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      signal,
    );
  }

  describe(): Record<string, unknown> {
    return { type: 'slack', webhookUrl: maskUrl(this.url), channel: this.options.channel };
  }

  setTarget(url: string): void {
    this.url = url;
  }
}
