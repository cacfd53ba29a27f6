import type {
  AlertTemplate,
  ResolvedAlertingOptions,
  ResolvedChannelOptions,
} from './alerting-options.interface';
import type { AlertChannel } from './channels/alert-channel.interface';
import { AlertmanagerChannel } from './channels/alertmanager.channel';
import type { DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import type { ChannelContext } from './channels/channel-context';
import { DiscordChannel } from './channels/discord.channel';
import { EmailChannel } from './channels/email.channel';
import { LogChannel } from './channels/log.channel';
import { PagerDutyChannel } from './channels/pagerduty.channel';
import { SlackChannel } from './channels/slack.channel';
import { SmsChannel } from './channels/sms.channel';
import { WebhookChannel } from './channels/webhook.channel';

/** Builds the built-in channels from resolved options, then appends the custom ones. */
export function createChannels(
  options: ResolvedAlertingOptions,
  service: string,
  log: DiagnosticLoggerFactory,
): AlertChannel[] {
  const build = (config: ResolvedChannelOptions): AlertChannel => {
    const own = config.template as AlertTemplate | undefined;
    const shared = options.templates[config.name];
    const context: ChannelContext = {
      service,
      template: own || shared ? { ...own, ...shared } : undefined,
      log,
    };
    const c = config as any;
    switch (config.name) {
      case 'log':
        return new LogChannel(context);
      case 'webhook':
        return new WebhookChannel(c, context);
      case 'slack':
        return new SlackChannel(c, context);
      case 'discord':
        return new DiscordChannel(c, context);
      case 'email':
        return new EmailChannel(c, context);
      case 'sms':
        return new SmsChannel(c, context);
      case 'pagerduty':
        return new PagerDutyChannel(c, context);
      case 'alertmanager': {
        const repeat = Math.max(
          options.repeatIntervalMs,
          ...options.routes.map((r) => r.repeatIntervalMs ?? 0),
        );
        return new AlertmanagerChannel({ ...c, firingTtlMs: repeat + 5 * 60_000 }, context);
      }
    }
  };
  return [...options.channels.map(build), ...options.custom];
}
