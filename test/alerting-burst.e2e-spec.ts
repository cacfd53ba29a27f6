import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type AlertingOptions,
  AlertingService,
  CustomMetricsService,
  ObservabilityModule,
} from 'nestjs-observability';
import { Alertmanager, describeWithAlertmanager } from './utils/alertmanager';
import { parseExposition, sampleValue } from './utils/exposition';
import { HttpReceiver } from './utils/http-receiver';

/**
 * Bursts of alerts to healthy receivers: each channel delivers through several workers
 * (`alerting.delivery.concurrency`), and Alertmanager takes many alerts per request, so a burst
 * is delivered rather than lost to the queue bound (`alerting.queue.maxSize`, 1000).
 */

const BURST = 2000;
const alert = (i: number) => ({
  name: 'QueueJobFailed',
  severity: 'warning' as const,
  summary: `queue ${i} failing`,
  labels: { queue: `q${i}` },
});

/** Sends `BURST` alerts with distinct fingerprints over about four seconds, in 20 slices. */
async function burst(alerting: AlertingService): Promise<void> {
  for (let slice = 0; slice < 20; slice++) {
    for (let i = slice * 100; i < (slice + 1) * 100; i++) alerting.send(alert(i));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Alert bursts to healthy receivers', () => {
  const apps: INestApplication[] = [];

  async function start(channels: AlertingOptions['channels']) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          alerting: { channels },
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    apps.push(app);
    return { app, alerting: app.get(AlertingService) };
  }

  const metric = async (app: INestApplication, name: string, labels: Record<string, string>) =>
    sampleValue(parseExposition(await app.get(CustomMetricsService).getMetrics()), name, {
      service: 'api',
      ...labels,
    });
  /** `alerts_dropped_total{reason="queue_full"}`, 0 while absent (nothing dropped yet). */
  const queueFullDrops = async (app: INestApplication) => {
    const exposition = await app.get(CustomMetricsService).getMetrics();
    return /^alerts_dropped_total\{[^}]*reason="queue_full"/m.test(exposition)
      ? metric(app, 'alerts_dropped_total', { reason: 'queue_full' })
      : 0;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('delivers every alert of a 2,000-alert burst to a webhook, none dropped', async () => {
    // A remote webhook answers in milliseconds, not microseconds: one worker would then manage
    // about 90 alerts/s and lose most of the burst to the queue bound.
    const receiver = (await HttpReceiver.start()).setDefault({ delayMs: 10 });
    try {
      const { app, alerting } = await start({ webhook: { url: receiver.url('/hook') } });
      await burst(alerting);
      await alerting.whenIdle();
      const queues = new Set(receiver.requests.map((r) => r.json.alerts[0].labels.queue));
      expect(queues.size).toBe(BURST);
      expect(await queueFullDrops(app)).toBe(0);
      expect(
        await metric(app, 'alerts_sent_total', {
          channel: 'webhook',
          severity: 'warning',
          status: 'success',
        }),
      ).toBe(BURST);
    } finally {
      await receiver.close();
    }
  }, 30_000);

  describeWithAlertmanager('with a real Alertmanager', () => {
    it('batches a burst to Alertmanager: fewer requests than alerts, every alert in its API', async () => {
      const manager = await Alertmanager.start();
      try {
        const { app, alerting } = await start({ alertmanager: { url: manager.url } });
        await burst(alerting);
        await alerting.whenIdle();
        // One delivery attempt is one request (alert_delivery_duration_seconds times each).
        const requests = await metric(app, 'alert_delivery_duration_seconds_count', {
          channel: 'alertmanager',
        });
        expect(requests).toBeGreaterThan(0);
        expect(requests).toBeLessThan(BURST / 2);
        expect(await queueFullDrops(app)).toBe(0);
        const names = new Set((await manager.alerts()).map((a) => a.labels.queue));
        expect(names.size).toBe(BURST);
      } finally {
        await manager.stop();
      }
    }, 60_000);
  });
});
