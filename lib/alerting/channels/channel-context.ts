import type { DiagnosticLoggerFactory } from '../../logging/diagnostic-logger';
import type { AlertTemplate } from '../alerting-options.interface';

/** What every built-in channel gets next to its own options. */
export interface ChannelContext {
  /** The `service` option. */
  service: string;
  /** Template of this channel (options `template` merged with `alerting.templates[name]`). */
  template: AlertTemplate | undefined;
  /** The diagnostic loggers of the monitoring instance. */
  log: DiagnosticLoggerFactory;
}
