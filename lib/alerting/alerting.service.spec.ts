import { resolveOptions } from '../config/resolve-options';
import { MonitoringCore } from '../core/monitoring-core';
import type { DiagnosticLogger } from '../logging/diagnostic-logger';
import type { AlertNotification } from './alert.types';
import type { AlertChannel } from './channels/alert-channel.interface';

/** A channel whose deliveries never finish until released. */
class StuckChannel implements AlertChannel {
  readonly name = 'stuck';
  readonly received: AlertNotification[] = [];
  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    this.received.push(notification);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    throw new Error('aborted');
  }
}

function coreWith(channel: AlertChannel) {
  const lines: string[] = [];
  const logger: DiagnosticLogger = {
    log: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    error: (message) => lines.push(message),
  };
  const silent: DiagnosticLogger = {
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const core = new MonitoringCore(
    resolveOptions(
      {
        service: 'api',
        metrics: { enabled: false, defaultMetrics: false },
        alerting: {
          channels: { custom: [channel] },
          delivery: { shutdownTimeoutMs: 50, timeoutMs: 60_000 },
        },
      },
      {},
    ),
    { log: (context) => (context === 'Alerting' ? logger : silent) },
  );
  const dropped = async (reason: string): Promise<number> => {
    const text = await core.registry.registry.metrics();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('alerts_dropped_total{') && l.includes(`reason="${reason}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { core, lines, dropped };
}

describe('AlertingService at shutdown', () => {
  it('counts deliveries still pending at the flush deadline, and every alert raised after it, as shutdown drops', async () => {
    const stuck = new StuckChannel();
    const { core, lines, dropped } = coreWith(stuck);
    core.alerting.send({ name: 'Pending', severity: 'warning', summary: 'stuck' });
    await core.drain();
    expect(await dropped('shutdown')).toBe(1);

    core.alerting.send({ name: 'Late', severity: 'critical', summary: 'after the flush' });
    core.alerting.send({ name: 'Later', severity: 'critical', summary: 'after the flush' });
    expect(await dropped('shutdown')).toBe(3);
    // Lost alerts are not tracked either: only the one raised before the flush is active.
    expect(core.alerting.getActive().map((a) => a.name)).toEqual(['Pending']);
    expect(lines).toEqual([
      '1 alert deliveries were still pending after 50 ms ("alerting.delivery.shutdownTimeoutMs") at shutdown and were dropped.',
      'Alert "Late" was raised after alerting shut down and is lost. It is counted in alerts_dropped_total{reason="shutdown"}; further ones are only counted.',
    ]);
    await core.shutdown();
  });
});
