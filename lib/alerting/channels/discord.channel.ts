import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';

/** `text` cut to `max` UTF-16 units with an ellipsis, never splitting a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let cut = max - 1;
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--;
  return `${text.slice(0, cut)}…`;
}

/** Embed colours (decimal RGB): red, amber, blue; green once resolved. */
export const DISCORD_COLORS = {
  critical: 0xe01e5a,
  warning: 0xf2c744,
  info: 0x3b88c3,
  resolved: 0x2eb67d,
} as const;

/**
 * Discord's documented message limits (Execute Webhook, Embed Limits). Discord answers 400 to a
 * message past any of them, which no retry fixes, so every field is cut to fit.
 */
export const DISCORD_LIMITS = {
  username: 80,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Title, description, field names and values, footer and author name of all embeds. */
  total: 6000,
} as const;

/** Characters kept for the description before label fields take the rest of the total. */
const DESCRIPTION_FIRST = 2000;

interface EmbedField {
  name: string;
  value: string;
  inline: boolean;
}

/**
 * Discord webhook with one embed: `title`, `description`, `color` by severity, `fields`
 * (severity, service, environment, then labels) and an ISO `timestamp`, within Discord's limits
 * ({@link DISCORD_LIMITS}): the title, the fixed fields and the start of the description come
 * first; labels then fill what is left of the 6,000-character total, and the description gets
 * the rest.
 */
export class DiscordChannel implements AlertChannel, RuntimeConfigurable {
  readonly name = 'discord';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;
  private readonly secrets = new SecretScrubber();

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
    this.secrets.addOptions(options, 'alerting.channels.discord');
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const first = notification.alerts[0];
    const body = {
      ...(this.options.username
        ? { username: truncate(this.options.username, DISCORD_LIMITS.username) }
        : {}),
      embeds: [
        {
          ...this.fit(notification, title, text),
          color:
            notification.status === 'resolved'
              ? DISCORD_COLORS.resolved
              : DISCORD_COLORS[notification.severity],
          timestamp: (first?.endsAt ?? first?.startsAt ?? new Date()).toISOString(),
        },
      ],
    };
    await httpDeliver(
      this.url,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      signal,
      this.secrets,
    );
  }

  /** Title, description, fields and footer within every limit, the total included. */
  private fit(notification: AlertNotification, title: string, text: string) {
    const L = DISCORD_LIMITS;
    const first = notification.alerts[0];
    const field = (name: string, value: string, maxValue: number = L.fieldValue): EmbedField => ({
      name: truncate(name, L.fieldName),
      value: truncate(value || '-', maxValue),
      inline: true,
    });
    const fixed = [
      field('Severity', notification.severity),
      field('Service', notification.service),
      field('Environment', notification.environment),
    ];
    const footer = { text: truncate(`fingerprint ${first?.fingerprint ?? '-'}`, L.footer) };
    const embedTitle = truncate(title, L.title);
    const size = (fields: EmbedField[]) =>
      fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    let left = L.total - embedTitle.length - footer.text.length - size(fixed);
    const description = truncate(text, Math.min(L.description, DESCRIPTION_FIRST, left));
    left -= description.length;
    const fields = [...fixed];
    for (const [name, value] of Object.entries(first?.labels ?? {})) {
      if (fields.length >= L.fields) break;
      const fieldName = truncate(name, L.fieldName);
      // A label needs its name and at least a few characters of its value.
      if (left < fieldName.length + 2) break;
      const labelField = field(name, value, Math.min(L.fieldValue, left - fieldName.length));
      fields.push(labelField);
      left -= labelField.name.length + labelField.value.length;
    }
    // What the labels left goes back to the description.
    const longer = truncate(text, Math.min(L.description, description.length + left));
    return { title: embedTitle, description: longer, fields, footer };
  }

  describe(): Record<string, unknown> {
    return { type: 'discord', webhookUrl: maskUrl(this.url) };
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
    this.secrets.addOptions({ ...change }, 'alerting.channels.discord');
    if (typeof change.webhookUrl === 'string') this.url = change.webhookUrl;
  }
}
