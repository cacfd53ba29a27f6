import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AlertDeliveryError,
  type AlertChannel,
  type AlertingOptions,
  AlertingService,
  type AlertNotification,
  CustomMetricsService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
  useStructuredLogger,
} from 'nestjs-observability';
import { parseExposition, sampleValue } from './utils/exposition';
import { FakeClock } from './utils/fake-clock';
import { ADAPTERS, listen } from './utils/http-apps';
import { HttpReceiver } from './utils/http-receiver';
import { LogCapture } from './utils/log-capture';

/** A channel that keeps what it gets. */
class CaptureChannel implements AlertChannel {
  readonly received: AlertNotification[] = [];
  constructor(readonly name: string) {}
  async send(notification: AlertNotification): Promise<void> {
    this.received.push(notification);
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const HOUR = 3600_000;

describe('Alerting never goes dark and never leaks', () => {
  const apps: INestApplication[] = [];
  let receiver: HttpReceiver;

  async function start(alerting: AlertingOptions, root: ObservabilityModuleOptions = {}) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          ...root,
          alerting,
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

  beforeEach(async () => {
    receiver = await HttpReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await receiver.close();
  });

  describe('the active set', () => {
    it('after 100k distinct unresolved alerts, a new critical alert still reaches a live receiver within the retry budget', async () => {
      const sink = new CaptureChannel('sink');
      const delivery = { timeoutMs: 2000, maxRetries: 2, backoffMs: 10, maxBackoffMs: 50 };
      const { app, alerting } = await start({
        channels: { webhook: { url: receiver.url('/pager') }, custom: [sink] },
        routes: [{ severity: 'critical', channels: ['webhook'] }, { channels: ['sink'] }],
        delivery,
      });
      for (let i = 0; i < 100_000; i++) {
        alerting.send({
          name: 'DiskAlmostFull',
          severity: 'warning',
          summary: 'disk filling up',
          labels: { volume: `v${i}` },
        });
      }
      alerting.send({ name: 'PaymentsDown', severity: 'critical', summary: 'PSP unreachable' });

      const budget = delivery.timeoutMs * (delivery.maxRetries + 1) + 2 * delivery.maxBackoffMs;
      const [request] = await receiver.waitFor(1, budget);
      expect(request.json.alerts[0]).toMatchObject({ name: 'PaymentsDown', status: 'firing' });
      expect(alerting.getActive()).toHaveLength(10_000);
      expect(alerting.getActive().some((a) => a.name === 'PaymentsDown')).toBe(true);
      expect(await metric(app, 'alerts_expired_total', { reason: 'evicted' })).toBe(90_001);
      const exposition = parseExposition(await app.get(CustomMetricsService).getMetrics());
      expect(
        exposition.samples.filter(
          (s) => s.name === 'alerts_dropped_total' && s.labels.reason === 'too_many_active',
        ),
      ).toEqual([]);
    }, 30_000);

    it('forgets an alert not raised again within its TTL (3x its repeat interval), counts it, and fires it anew at once', async () => {
      const clock = new FakeClock();
      const chat = new CaptureChannel('chat');
      const { app, alerting } = await start({
        clock,
        channels: { custom: [chat] },
        repeatIntervalMs: HOUR,
      });
      const alert = (queue: string) => ({
        name: 'QueueStuck',
        severity: 'warning' as const,
        summary: `queue ${queue} stuck`,
        labels: { queue },
      });
      alerting.send(alert('a'));
      alerting.send(alert('b'));
      clock.advance(2 * HOUR);
      alerting.send(alert('b'));
      clock.advance(HOUR - 1);
      expect(alerting.getActive().map((a) => a.labels.queue)).toEqual(['a', 'b']);
      clock.advance(1);
      expect(alerting.getActive().map((a) => a.labels.queue)).toEqual(['b']);
      expect(await metric(app, 'alerts_expired_total', { reason: 'ttl' })).toBe(1);

      alerting.send(alert('a'));
      await alerting.whenIdle();
      const firings = chat.received.filter((n) => n.alerts[0].labels.queue === 'a');
      expect(firings).toHaveLength(2);
      expect(firings[1].alerts[0].startsAt).toEqual(new Date(clock.now()));
    });

    it('honours alerting.activeAlertTtlMs', async () => {
      const clock = new FakeClock();
      const { alerting } = await start({
        clock,
        channels: { custom: [new CaptureChannel('chat')] },
        activeAlertTtlMs: 60_000,
      });
      alerting.send({ name: 'A', severity: 'critical', summary: 'a' });
      clock.advance(59_999);
      expect(alerting.getActive()).toHaveLength(1);
      clock.advance(1);
      expect(alerting.getActive()).toHaveLength(0);
    });

    it('when full, evicts the least recently raised non-critical alert first; critical alerts always get in', async () => {
      const chat = new CaptureChannel('chat');
      const { app, alerting } = await start({ maxActiveAlerts: 2, channels: { custom: [chat] } });
      const names = () => alerting.getActive().map((a) => a.name);
      alerting.send({ name: 'W1', severity: 'warning', summary: 'w1' });
      alerting.send({ name: 'C1', severity: 'critical', summary: 'c1' });
      alerting.send({ name: 'W2', severity: 'warning', summary: 'w2' });
      expect(names()).toEqual(['C1', 'W2']);
      alerting.send({ name: 'C2', severity: 'critical', summary: 'c2' });
      expect(names()).toEqual(['C1', 'C2']);
      // Only critical alerts are active: a warning does not displace them...
      alerting.send({ name: 'W3', severity: 'warning', summary: 'w3' });
      expect(names()).toEqual(['C1', 'C2']);
      // ...but a new critical alert replaces the least recently raised one.
      alerting.send({ name: 'C1', severity: 'critical', summary: 'c1 again' });
      alerting.send({ name: 'C3', severity: 'critical', summary: 'c3' });
      expect(names()).toEqual(['C1', 'C3']);
      await alerting.whenIdle();
      expect(chat.received.map((n) => n.alerts[0].name)).toEqual(['W1', 'C1', 'W2', 'C2', 'C3']);
      expect(await metric(app, 'alerts_expired_total', { reason: 'evicted' })).toBe(3);
      expect(await metric(app, 'alerts_dropped_total', { reason: 'too_many_active' })).toBe(1);
    });
  });

  it('caps a 429 Retry-After at delivery.maxBackoffMs and reports the channel degraded while it waits', async () => {
    const clock = new FakeClock();
    receiver.respondWith({ status: 429, headers: { 'Retry-After': '120' } });
    const { alerting } = await start({
      clock,
      channels: { webhook: { url: receiver.url('/hook') } },
      delivery: { backoffMs: 100, maxBackoffMs: 5000 },
    });
    alerting.send({ name: 'A', severity: 'warning', summary: 'a' });
    await receiver.waitFor(1);
    await waitUntil(() => clock.pending > 0, 'the retry timer');
    expect(alerting.getChannelStates()).toEqual([
      {
        channel: 'webhook',
        healthy: false,
        degraded: true,
        reason: 'the receiver asked to wait 120000 ms (429 Retry-After); retrying in 5000 ms',
        enabled: true,
        pending: 1,
      },
    ]);
    clock.advance(5000);
    await receiver.waitFor(2, 1000);
    await alerting.whenIdle();
    expect(alerting.getChannelStates()[0]).toEqual({
      channel: 'webhook',
      healthy: true,
      enabled: true,
      pending: 0,
    });
  });

  it('reports the Retry-After wait on the health "alerting" indicator', async () => {
    const clock = new FakeClock();
    receiver.respondWith({ status: 429, headers: { 'Retry-After': '120' } });
    const started = await listen(
      (() => {
        @Module({
          imports: [
            ObservabilityModule.forRoot({
              service: 'api',
              metrics: { enabled: false, defaultMetrics: false },
              alerting: {
                clock,
                channels: { webhook: { url: receiver.url('/hook') } },
                delivery: { maxBackoffMs: 5000 },
              },
            }),
          ],
        })
        class AppModule {}
        return AppModule;
      })(),
      ADAPTERS[0][1],
    );
    apps.push(started.app);
    started.app.get(AlertingService).send({ name: 'A', severity: 'warning', summary: 'a' });
    await receiver.waitFor(1);
    await waitUntil(() => clock.pending > 0, 'the retry timer');
    const body = (await (await fetch(`${started.url}/health/detailed`)).json()) as any;
    expect(body.details.alerting).toEqual({
      status: 'down',
      channels: {
        webhook: {
          healthy: false,
          reason: 'the receiver asked to wait 120000 ms (429 Retry-After); retrying in 5000 ms',
        },
      },
      message:
        'Alert channel "webhook" is unhealthy: the receiver asked to wait 120000 ms (429 Retry-After); retrying in 5000 ms.',
    });
    clock.advance(5000);
    await receiver.waitFor(2, 1000);
  });

  it('alertCostSpike drops and counts invalid amounts instead of throwing or paging', async () => {
    const chat = new CaptureChannel('chat');
    const { app, alerting } = await start({ channels: { custom: [chat] } });
    expect(() => alerting.alertCostSpike('12' as never, 5)).not.toThrow();
    expect(() => alerting.alertCostSpike(12, '5' as never)).not.toThrow();
    expect(() => alerting.alertCostSpike(NaN, 5)).not.toThrow();
    expect(() => alerting.alertCostSpike(12, NaN)).not.toThrow();
    expect(() => alerting.alertCostSpike(Infinity, 5)).not.toThrow();
    expect(() => alerting.alertCostSpike(-3, 5)).not.toThrow();
    expect(() => alerting.alertCostSpike(12, 5, null as never)).not.toThrow();
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(1);
    expect(await metric(app, 'alerts_dropped_total', { reason: 'invalid' })).toBe(6);

    alerting.alertCostSpike(0, 0, { provider: 'idle' });
    alerting.alertCostSpike(30, 5, { provider: 'openai' });
    await alerting.whenIdle();
    expect(chat.received.map((n) => n.alerts[0].severity)).toEqual([
      'warning',
      'warning',
      'critical',
    ]);
  });

  describe('timers above 2^31-1 ms', () => {
    const tooLong = 3e9;
    const expectBootToFail = async (alerting: AlertingOptions, message: string) => {
      @Module({
        imports: [
          ObservabilityModule.forRoot({
            metrics: { enabled: false, defaultMetrics: false },
            alerting,
          }),
        ],
      })
      class SyncModule {}
      @Module({
        imports: [
          ObservabilityModule.forRootAsync({
            useFactory: async () => ({
              metrics: { enabled: false, defaultMetrics: false },
              alerting,
            }),
          }),
        ],
      })
      class AsyncModule {}
      for (const module of [SyncModule, AsyncModule]) {
        await expect(
          NestFactory.create(module, { logger: false, abortOnError: false }),
        ).rejects.toThrow(message);
      }
    };

    it('fail the boot naming alerting.delivery.timeoutMs', async () => {
      await expectBootToFail(
        { delivery: { timeoutMs: tooLong } },
        'alerting.delivery.timeoutMs: expected a positive integer <= 2147483647, got 3000000000',
      );
    });

    it("fail the boot naming a route's escalateAfterMs", async () => {
      await expectBootToFail(
        {
          channels: { log: true },
          routes: [{ channels: ['log'], escalateAfterMs: tooLong, escalateTo: ['log'] }],
        },
        'alerting.routes[0].escalateAfterMs: expected a positive integer <= 2147483647, got 3000000000',
      );
    });
  });
});

describe.each(ADAPTERS)('Background alert delivery and request context (%s)', (_name, adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('logs a delivery failure without the request_id of the request that started the worker', async () => {
    let calls = 0;
    const flaky: AlertChannel = {
      name: 'flaky',
      async send() {
        calls++;
        if (calls === 1) return new Promise((resolve) => setTimeout(resolve, 300));
        throw new AlertDeliveryError('HTTP 400 rejected', { retryable: false, status: 400 });
      },
    };
    @Controller()
    class RaiseController {
      constructor(private readonly alerting: AlertingService) {}
      @Get('raise')
      raise() {
        this.alerting.send({ name: 'FromRequest', severity: 'warning', summary: 'from a request' });
        return { ok: true };
      }
    }
    const capture = new LogCapture();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          logging: { stream: capture },
          alerting: { channels: { custom: [flaky] }, delivery: { maxRetries: 0 } },
        }),
      ],
      controllers: [RaiseController],
    })
    class AppModule {}
    const started = await listen(AppModule, adapter, {
      bufferLogs: true,
      setup: (created) => useStructuredLogger(created),
    });
    app = started.app;
    const alerting = app.get(AlertingService);

    const response = await fetch(`${started.url}/raise`, {
      headers: { 'x-request-id': 'req-unrelated' },
    });
    expect(response.status).toBe(200);
    // Raised outside any request while the worker started by that request is still busy.
    alerting.send({ name: 'FromBackground', severity: 'warning', summary: 'from a timer' });
    await alerting.whenIdle();

    const failures = capture.lines.filter((line) =>
      String(line.msg).startsWith('Alert delivery to channel "flaky" failed'),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ context: 'Alerting', level: 'error' });
    expect(failures[0]).not.toHaveProperty('request_id');
  });
});
