import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:http';
import {
  type AlertingOptions,
  AlertingService,
  CustomMetricsService,
  ObservabilityModule,
} from 'nestjs-observability';
import { parseExposition, sampleValue } from './utils/exposition';
import { FakeClock } from './utils/fake-clock';
import { closedPort, HttpReceiver } from './utils/http-receiver';

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const alert = (queue: string) => ({
  name: 'QueueJobFailed',
  severity: 'warning' as const,
  summary: `queue ${queue} failing`,
  labels: { queue },
});

describe('Alert delivery guarantees against real HTTP receivers', () => {
  let receiver: HttpReceiver;
  const apps: INestApplication[] = [];

  async function start(url: string, alerting: AlertingOptions = {}, controllers: any[] = []) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          alerting: { ...alerting, channels: { webhook: { url } } },
        }),
      ],
      controllers,
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

  it('retries 500s with backoff and delivers once the receiver recovers', async () => {
    receiver.respondWith({ status: 500 }, { status: 502 }, { status: 503 });
    const { app, alerting } = await start(receiver.url('/hook'), {
      delivery: { backoffMs: 1, maxBackoffMs: 5, maxRetries: 5 },
    });
    alerting.send(alert('a'));
    await alerting.whenIdle();
    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    const labels = { channel: 'webhook', severity: 'warning' };
    expect(await metric(app, 'alerts_sent_total', { ...labels, status: 'success' })).toBe(1);
    expect(await metric(app, 'alert_delivery_duration_seconds_count', { channel: 'webhook' })).toBe(
      4,
    );
  });

  it('gives up after maxRetries and counts the failure; a 4xx is not retried', async () => {
    receiver.setDefault({ status: 500 });
    const { app, alerting } = await start(receiver.url('/hook'), {
      delivery: { backoffMs: 1, maxBackoffMs: 2, maxRetries: 2, breakerThreshold: 100 },
    });
    alerting.send(alert('a'));
    await alerting.whenIdle();
    expect(receiver.requests).toHaveLength(3);

    receiver.respondWith({ status: 400, body: 'bad payload' });
    alerting.send(alert('b'));
    await alerting.whenIdle();
    expect(receiver.requests).toHaveLength(4);
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'webhook',
        severity: 'warning',
        status: 'failed',
      }),
    ).toBe(2);
  });

  it('honours 429 Retry-After instead of its own backoff', async () => {
    const clock = new FakeClock();
    receiver.respondWith({ status: 429, headers: { 'Retry-After': '7' } });
    const { alerting } = await start(receiver.url('/hook'), {
      clock,
      delivery: { backoffMs: 60_000, maxBackoffMs: 60_000 },
    });
    alerting.send(alert('a'));
    await receiver.waitFor(1);
    await waitUntil(() => clock.pending > 0, 'the retry timer');
    clock.advance(6_999);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.requests).toHaveLength(1);
    clock.advance(1);
    await receiver.waitFor(2);
    await alerting.whenIdle();
    expect(receiver.requests).toHaveLength(2);
  });

  it('aborts an attempt slower than the timeout and retries it', async () => {
    receiver.respondWith({ hang: true });
    const { app, alerting } = await start(receiver.url('/hook'), {
      delivery: { timeoutMs: 500, backoffMs: 1, maxBackoffMs: 2 },
    });
    alerting.send(alert('a'));
    await alerting.whenIdle();
    expect(receiver.requests).toHaveLength(2);
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'webhook',
        severity: 'warning',
        status: 'success',
      }),
    ).toBe(1);
  });

  it('keeps retrying while the receiver is down and delivers when it comes up', async () => {
    const clock = new FakeClock();
    const port = await closedPort();
    const { alerting } = await start(`http://127.0.0.1:${port}/hook`, {
      clock,
      delivery: { backoffMs: 1000, maxBackoffMs: 1000, maxRetries: 10 },
    });
    alerting.send(alert('a'));
    await waitUntil(() => clock.pending > 0, 'the first retry timer');
    clock.advance(1000);
    await waitUntil(() => clock.pending > 0, 'the second retry timer');

    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      clock.advance(1000);
      await alerting.whenIdle();
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0]).alerts[0].labels).toEqual({ queue: 'a' });
      expect(alerting.getChannelStates()[0]).toMatchObject({
        channel: 'webhook',
        healthy: true,
        pending: 0,
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('bounds the queue: overflow drops the oldest waiting deliveries and counts them', async () => {
    receiver.respondWith({ hang: true });
    const { app, alerting } = await start(receiver.url('/hook'), {
      queue: { maxSize: 3 },
      // One delivery at a time, so the first one holds the queue while the others arrive.
      delivery: { timeoutMs: 1000, maxRetries: 0, concurrency: 1 },
    });
    for (let i = 0; i < 10; i++) alerting.send(alert(String(i)));
    await alerting.whenIdle();
    expect(receiver.requests.map((r) => r.json.alerts[0].labels.queue)).toEqual([
      '0',
      '7',
      '8',
      '9',
    ]);
    expect(await metric(app, 'alerts_dropped_total', { reason: 'queue_full' })).toBe(6);
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'webhook',
        severity: 'warning',
        status: 'success',
      }),
    ).toBe(3);
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'webhook',
        severity: 'warning',
        status: 'failed',
      }),
    ).toBe(1);
  });

  it('send() returns before delivery: a request answers while the receiver hangs', async () => {
    receiver.setDefault({ hang: true });
    let returned: unknown = 'not called';
    @Controller()
    class PaymentsController {
      constructor(private readonly alerting: AlertingService) {}
      @Get('pay')
      pay() {
        returned = this.alerting.send(alert('payments'));
        return { ok: true };
      }
    }
    const { app, alerting } = await start(
      receiver.url('/hook'),
      { delivery: { timeoutMs: 30_000, shutdownTimeoutMs: 50 } },
      [PaymentsController],
    );
    await app.listen(0, '127.0.0.1');
    const response = await fetch(`${await app.getUrl()}/pay`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(returned).toBeUndefined();
    await receiver.waitFor(1);
    expect(alerting.getChannelStates()[0].pending).toBe(1);
  });

  it('flushes pending deliveries on shutdown', async () => {
    const { app, alerting } = await start(receiver.url('/hook'));
    for (let i = 0; i < 5; i++) alerting.send(alert(String(i)));
    await app.close();
    apps.length = 0;
    expect(receiver.requests).toHaveLength(5);
  });
});
