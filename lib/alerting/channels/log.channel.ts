import type { DiagnosticLogger } from '../../logging/diagnostic-logger';
import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';

/**
 * Writes alerts to the application's log (context `Alerting`): `critical` as error, `warning` as
 * warning, `info` and resolves as log. The default channel when no other is configured.
 */
export class LogChannel implements AlertChannel {
  readonly name = 'log';
  private readonly logger: DiagnosticLogger;

  constructor(private readonly context: ChannelContext) {
    this.logger = context.log('Alerting');
  }

  async send(notification: AlertNotification): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const line = `${title}: ${text.replace(/\s*\n+\s*/g, ' | ')}`;
    if (notification.status === 'resolved' || notification.severity === 'info') {
      this.logger.log(line);
    } else if (notification.severity === 'warning') {
      this.logger.warn(line);
    } else {
      this.logger.error(line);
    }
  }

  describe(): Record<string, unknown> {
    return { type: 'log' };
  }
}
