import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Messages } from '../../observability.messages';

/** The state of one alert channel. */
export interface AlertChannelState {
  /** Channel name (`slack`, `email`, ...). */
  channel: string;
  /** Whether the channel can deliver alerts. */
  healthy: boolean;
  /** Why it cannot, when unhealthy. */
  reason?: string;
}

/** What the `alerting` indicator needs from an alerting service (the module's own). */
export interface AlertChannelStateSource {
  /** The current state of every configured channel. */
  getChannelStates(): AlertChannelState[] | Promise<AlertChannelState[]>;
}

/**
 * Alert channels (`alerting`): down when any channel is unhealthy; the message names each.
 * The detail lists every channel: `{ channels: { slack: { healthy: true } } }`.
 */
export class AlertChannelsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly source: AlertChannelStateSource,
  ) {}

  /** Reads the channel states once. */
  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    const states = await this.source.getChannelStates();
    const channels: Record<string, { healthy: boolean; reason?: string }> = {};
    const problems: string[] = [];
    for (const { channel, healthy, reason } of Array.isArray(states) ? states : []) {
      channels[channel] = reason === undefined ? { healthy } : { healthy, reason };
      if (!healthy) problems.push(Messages.alertChannelUnhealthy(channel, reason));
    }
    return problems.length > 0
      ? session.down({ channels, message: problems.join(' ') })
      : session.up({ channels });
  }
}
