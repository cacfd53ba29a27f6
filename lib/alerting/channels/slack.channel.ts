import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import { Messages } from '../../observability.messages';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';

const EMOJI = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' };

/**
 * `text` with Slack's three control characters escaped (`&` → `&amp;`, `<` → `&lt;`,
 * `>` → `&gt;`), as Slack's formatting reference asks for text that is not markup: an alert's
 * text is data, and `<!channel>` in it would ping everyone, `<https://evil|Open runbook>` would
 * render as a disguised link. Bare URLs still become links.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `text` escaped, then cut to `max` characters without splitting an entity: Slack counts the
 * escaped text against its limits.
 */
function slackText(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  return `${escaped.slice(0, max - 1).replace(/&[a-z]{0,3}$/, '')}…`;
}

/**
 * The Block Kit body of a Slack incoming webhook: `header`, mrkdwn `section`, `context`, and
 * `text` as the notification fallback. Every text is escaped ({@link escapeSlack}).
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
    text: `${icon} ${slackText(title, 2900)}`,
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: slackText(title, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: slackText(text || title, 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `${icon} *${notification.severity}* · service \`${escapeSlack(notification.service)}\`` +
              ` · ${escapeSlack(notification.environment)}`,
          },
        ],
      },
    ],
  };
}

/**
 * Slack incoming webhook with Block Kit: a `header` block with the title, a `section` with the
 * text (mrkdwn) and a `context` with service, environment and severity. `text` carries the
 * title too, as Slack's notification fallback. Alert text is escaped, so it can neither mention
 * (`<!channel>`) nor disguise a link.
 *
 * `channel` and `username` are deprecated: Slack app webhooks ignore them (a webhook always
 * posts to the channel, and under the name, chosen when it was created); only legacy
 * custom-integration webhooks honour them. They are still sent for those, with a warning at boot.
 */
export class SlackChannel implements AlertChannel, RuntimeConfigurable {
  readonly name = 'slack';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;
  private readonly secrets = new SecretScrubber();

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
    this.secrets.addOptions(options, 'alerting.channels.slack');
    const ignored = (['channel', 'username'] as const).filter((key) => options[key]);
    if (ignored.length > 0) {
      context.log('Alerting').warn(Messages.slackOverridesIgnored(ignored));
    }
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const body = slackPayload(notification, title, text, this.options);
    await httpDeliver(
      this.url,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      signal,
      this.secrets,
    );
  }

  describe(): Record<string, unknown> {
    return { type: 'slack', webhookUrl: maskUrl(this.url) };
  }

  runtimeConfig(): RuntimeConfig {
    return {
      targetKey: 'webhookUrl',
      target: this.url,
      configuredTarget: this.options.webhookUrl,
      credentials: {},
    };
  }

  reconfigure(change: Readonly<Record<string, unknown>>): void {
    this.secrets.addOptions({ ...change }, 'alerting.channels.slack');
    if (typeof change.webhookUrl === 'string') this.url = change.webhookUrl;
  }
}
