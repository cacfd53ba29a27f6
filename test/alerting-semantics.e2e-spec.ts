import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AlertDeliveryError,
  type AlertChannel,
  type AlertingOptions,
  AlertingService,
  type AlertNotification,
  CustomMetricsService,
  ObservabilityModule,
} from 'nestjs-observability';
import { ALERTING_SERVICE_TOKEN } from '../lib/observability.constants';
import { parseExposition, sampleValue } from './utils/exposition';
import { FakeClock } from './utils/fake-clock';

/** A channel that keeps what it gets (or fails on demand). */
class CaptureChannel implements AlertChannel {
  readonly received: AlertNotification[] = [];
  failing = false;
  constructor(
    readonly name: string,
    readonly rateLimitPerMinute?: number,
  ) {}
  async send(notification: AlertNotification): Promise<void> {
    if (this.failing) throw new AlertDeliveryError('HTTP 503', { retryable: true, status: 503 });
    this.received.push(notification);
  }
}

const HOUR = 3600_000;
const tick = async (times = 5) => {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('AlertingService semantics (fake clock)', () => {
  let clock: FakeClock;
  let pager: CaptureChannel;
  let chat: CaptureChannel;
  let sms: CaptureChannel;
  const apps: INestApplication[] = [];

  async function start(alerting: Omit<AlertingOptions, 'clock'> = {}) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          alerting: {
            clock,
            ...alerting,
            channels: { custom: [pager, chat, sms], ...alerting.channels },
          },
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

  beforeEach(() => {
    clock = new FakeClock();
    pager = new CaptureChannel('pager');
    chat = new CaptureChannel('chat');
    sms = new CaptureChannel('sms');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const warning = {
    name: 'HighQueueFailureRate',
    severity: 'warning' as const,
    summary: 'Queue failing',
    labels: { queue: 'emails' },
  };

  it('sends a fingerprint once per repeat interval while it keeps firing, and counts the duplicates', async () => {
    const { app, alerting } = await start();
    expect(alerting.send(warning)).toBeUndefined();
    alerting.send(warning);
    clock.advance(4 * HOUR - 1);
    alerting.send(warning);
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(1);
    expect(await metric(app, 'alerts_dropped_total', { reason: 'duplicate' })).toBe(2);

    clock.advance(1);
    alerting.send({ ...warning, summary: 'Queue still failing' });
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(2);
    expect(chat.received[1].alerts[0].summary).toBe('Queue still failing');
    expect(chat.received[1].alerts[0].startsAt).toEqual(chat.received[0].alerts[0].startsAt);

    alerting.send({ ...warning, labels: { queue: 'images' } });
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(3);
    expect(alerting.getActive()).toHaveLength(2);
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'chat',
        severity: 'warning',
        status: 'success',
      }),
    ).toBe(3);
  });

  it('sends a resolve once, then forgets the alert so a new firing is sent at once', async () => {
    const { alerting } = await start({ routes: [{ channels: ['chat'] }] });
    alerting.send(warning);
    const [active] = alerting.getActive();
    expect(active.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    clock.advance(60_000);
    expect(alerting.resolve(active.fingerprint)).toBe(true);
    expect(alerting.resolve(active.fingerprint)).toBe(false);
    await alerting.whenIdle();
    expect(chat.received.map((n) => n.status)).toEqual(['firing', 'resolved']);
    expect(chat.received[1].alerts[0].endsAt).toEqual(new Date(clock.now()));
    expect(alerting.getActive()).toEqual([]);
    expect(alerting.list(false).map((a) => a.status)).toEqual(['resolved']);

    alerting.send(warning);
    await alerting.whenIdle();
    expect(chat.received.map((n) => n.status)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('routes by severity and labels, first match unless continue, default route to every channel', async () => {
    const { alerting } = await start({
      routes: [
        { match: { team: 'payments' }, channels: ['sms'], continue: true },
        { severity: 'critical', channels: ['pager', 'chat'] },
        { severity: 'warning', channels: ['chat'] },
      ],
    });
    alerting.send({ name: 'A', severity: 'critical', summary: 'crit' });
    alerting.send({ name: 'B', severity: 'warning', summary: 'warn' });
    alerting.send({ name: 'C', severity: 'info', summary: 'info' });
    alerting.send({
      name: 'D',
      severity: 'critical',
      summary: 'pay',
      labels: { team: 'payments' },
    });
    await alerting.whenIdle();
    const names = (c: CaptureChannel) => c.received.map((n) => n.alerts[0].name);
    expect(names(pager)).toEqual(['A', 'C', 'D']);
    expect(names(chat)).toEqual(['A', 'B', 'C', 'D']);
    expect(names(sms)).toEqual(['C', 'D']);
  });

  it('batches the alerts of one group arriving within the grouping window into one message', async () => {
    const { alerting } = await start({
      routes: [{ channels: ['chat'], groupWaitMs: 30_000, groupBy: ['alertname'] }],
    });
    alerting.send({ ...warning, labels: { queue: 'a' } });
    clock.advance(10_000);
    alerting.send({ ...warning, labels: { queue: 'b' } });
    alerting.send({ ...warning, severity: 'critical', labels: { queue: 'c' } });
    alerting.send({ name: 'Other', severity: 'info', summary: 'other group' });
    await tick();
    expect(chat.received).toHaveLength(0);

    clock.advance(20_000);
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(1);
    expect(chat.received[0].alerts.map((a) => a.labels.queue)).toEqual(['a', 'b', 'c']);
    expect(chat.received[0].severity).toBe('critical');

    clock.advance(10_000);
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(2);
    expect(chat.received[1].alerts.map((a) => a.name)).toEqual(['Other']);
  });

  describe('escalation', () => {
    const routes = [
      {
        severity: 'critical' as const,
        channels: ['pager'],
        escalateAfterMs: 15 * 60_000,
        escalateTo: ['sms'],
      },
    ];
    const critical = {
      name: 'PaymentFailure',
      severity: 'critical' as const,
      summary: 'Payments failing',
    };

    it('sends an unacknowledged critical alert to the escalation target after escalateAfterMs', async () => {
      const { alerting } = await start({ routes });
      alerting.send(critical);
      clock.advance(15 * 60_000 - 1);
      await alerting.whenIdle();
      expect(sms.received).toHaveLength(0);
      clock.advance(1);
      await alerting.whenIdle();
      expect(sms.received).toHaveLength(1);
      expect(sms.received[0]).toMatchObject({ escalation: true, status: 'firing' });
      expect(pager.received).toHaveLength(1);
    });

    it('walks the escalation chain, one target per escalateAfterMs, until acknowledged', async () => {
      const { alerting } = await start({
        routes: [
          {
            severity: 'critical',
            channels: ['pager'],
            escalateAfterMs: 10 * 60_000,
            escalateTo: ['chat', ['sms', 'chat']],
          },
        ],
      });
      alerting.send(critical);
      clock.advance(10 * 60_000);
      await alerting.whenIdle();
      expect(chat.received.map((n) => n.escalation)).toEqual([true]);
      expect(sms.received).toHaveLength(0);
      clock.advance(10 * 60_000);
      await alerting.whenIdle();
      expect(sms.received).toHaveLength(1);
      expect(chat.received).toHaveLength(2);
      clock.advance(HOUR);
      await alerting.whenIdle();
      expect(sms.received).toHaveLength(1);
      expect(chat.received).toHaveLength(2);
      expect(clock.pending).toBe(0);
    });

    it('stops the chain when acknowledged between levels', async () => {
      const { alerting } = await start({
        routes: [
          {
            severity: 'critical',
            channels: ['pager'],
            escalateAfterMs: 60_000,
            escalateTo: ['chat', 'sms'],
          },
        ],
      });
      alerting.send(critical);
      clock.advance(60_000);
      alerting.acknowledge(alerting.getActive()[0].fingerprint, 'bob');
      clock.advance(HOUR);
      await alerting.whenIdle();
      expect(chat.received).toHaveLength(1);
      expect(sms.received).toHaveLength(0);
    });

    it('does not escalate once acknowledged or resolved', async () => {
      const { alerting } = await start({ routes });
      alerting.send(critical);
      alerting.send({ ...critical, labels: { psp: 'stripe' } });
      const [first, second] = alerting.getActive();
      expect(alerting.acknowledge(first.fingerprint, 'alice')).toBe(true);
      expect(alerting.getActive()[0]).toMatchObject({ acknowledgedBy: 'alice' });
      expect(alerting.resolve(second.fingerprint)).toBe(true);
      clock.advance(HOUR);
      await alerting.whenIdle();
      expect(sms.received).toHaveLength(0);
      expect(alerting.acknowledge('nope', 'bob')).toBe(false);
    });
  });

  it('raises PaymentFailure from the payment_failure KPI', async () => {
    const { app, alerting } = await start({ routes: [{ channels: ['pager'] }] });
    app.get(CustomMetricsService).trackKPI({
      type: 'payment_failure',
      data: { paymentId: 'pay_123', paymentMethod: 'card', errorType: 'card_declined' },
    });
    await alerting.whenIdle();
    expect(pager.received).toHaveLength(1);
    expect(pager.received[0].alerts[0]).toMatchObject({
      name: 'PaymentFailure',
      severity: 'critical',
      summary: 'Payment pay_123 failed: card_declined',
      labels: { error_type: 'card_declined', payment_method: 'card' },
      annotations: { payment_id: 'pay_123' },
    });
    expect(
      await metric(app, 'payment_failures_total', {
        payment_method: 'card',
        error_type: 'card_declined',
      }),
    ).toBe(1);
  });

  it('raises PaymentFailure at alerting.paymentFailureSeverity', async () => {
    const { app, alerting } = await start({
      routes: [{ channels: ['pager'] }],
      paymentFailureSeverity: 'warning',
    });
    app.get(CustomMetricsService).trackPaymentFailure('pay_1', 'card', 'card_declined');
    alerting.alertPaymentFailure('pay_2', new Error('insufficient funds'));
    await alerting.whenIdle();
    expect(pager.received.map((n) => [n.alerts[0].name, n.alerts[0].severity])).toEqual([
      ['PaymentFailure', 'warning'],
      ['PaymentFailure', 'warning'],
    ]);
  });

  it('raises no alert for tracked payment failures with paymentFailureSeverity: false', async () => {
    const { app, alerting } = await start({
      routes: [{ channels: ['pager'] }],
      paymentFailureSeverity: false,
    });
    app.get(CustomMetricsService).trackPaymentFailure('pay_1', 'card', 'card_declined');
    await alerting.whenIdle();
    expect(pager.received).toEqual([]);
    expect(alerting.getActive()).toEqual([]);
    expect(
      await metric(app, 'payment_failures_total', {
        payment_method: 'card',
        error_type: 'card_declined',
      }),
    ).toBe(1);
  });

  it('has the helpers alertQueueFailure, alertPaymentFailure, alertCostSpike', async () => {
    const { alerting } = await start({ routes: [{ channels: ['chat'] }] });
    const error = new TypeError('SMTP timeout');
    alerting.alertQueueFailure('image-generation', error, { jobId: 'j1', attempts: 3 });
    alerting.alertPaymentFailure('pay_9', new Error('insufficient funds'), {
      amount: 29.99,
      plan: 'pro',
    });
    alerting.alertCostSpike(12.5, 5, { provider: 'openai', model: 'gpt-4', window: '5m' });
    await alerting.whenIdle();
    expect(chat.received.map((n) => n.alerts[0])).toEqual([
      expect.objectContaining({
        name: 'QueueJobFailed',
        severity: 'warning',
        summary: 'Job failed in queue "image-generation": SMTP timeout',
        labels: { queue: 'image-generation', error_type: 'TypeError' },
        annotations: { error: 'SMTP timeout', job: '{"jobId":"j1","attempts":3}' },
      }),
      expect.objectContaining({
        name: 'PaymentFailure',
        severity: 'critical',
        labels: { error_type: 'Error' },
        annotations: { payment_id: 'pay_9', meta: '{"amount":29.99,"plan":"pro"}' },
      }),
      expect.objectContaining({
        name: 'CostSpikeDetected',
        severity: 'warning',
        summary: 'AI cost 12.50 USD over 5m is 2.5x the baseline 5.00 USD',
        labels: { provider: 'openai', model: 'gpt-4' },
      }),
    ]);
  });

  it('drops invalid alerts without throwing and counts them', async () => {
    const { app, alerting } = await start();
    expect(() => alerting.send(undefined as never)).not.toThrow();
    expect(() =>
      alerting.send({ name: 'X', severity: 'fatal', summary: 's' } as never),
    ).not.toThrow();
    expect(() => alerting.send({ name: '', severity: 'info', summary: 's' })).not.toThrow();
    alerting.send({
      name: 'Ok',
      severity: 'info',
      summary: 's',
      labels: { 'bad-label': 1 as never },
    });
    await alerting.whenIdle();
    expect(await metric(app, 'alerts_dropped_total', { reason: 'invalid' })).toBe(3);
    expect(chat.received[0].alerts[0].labels).toEqual({ bad_label: '1' });
  });

  it('is also provided under the string token other capabilities resolve', async () => {
    const { app, alerting } = await start();
    expect(app.get(ALERTING_SERVICE_TOKEN)).toBe(alerting);
    expect(alerting.getChannelStates()).toEqual([
      { channel: 'pager', healthy: true, enabled: true, pending: 0 },
      { channel: 'chat', healthy: true, enabled: true, pending: 0 },
      { channel: 'sms', healthy: true, enabled: true, pending: 0 },
    ]);
  });

  it('holds deliveries past a channel’s rate limit until the minute has passed', async () => {
    const limited = new CaptureChannel('limited', 2);
    const { alerting } = await start({
      channels: { custom: [limited] },
      routes: [{ channels: ['limited'] }],
    });
    for (const queue of ['a', 'b', 'c']) alerting.send({ ...warning, labels: { queue } });
    await tick(20);
    expect(limited.received).toHaveLength(2);
    clock.advance(60_000);
    await alerting.whenIdle();
    expect(limited.received).toHaveLength(3);
  });

  it('opens a failing channel’s circuit (unhealthy), then one trial after the cooldown closes it', async () => {
    const { app, alerting } = await start({
      routes: [{ channels: ['chat'] }],
      delivery: { maxRetries: 0, breakerThreshold: 2, breakerCooldownMs: 30_000 },
    });
    chat.failing = true;
    alerting.send({ ...warning, labels: { queue: 'a' } });
    alerting.send({ ...warning, labels: { queue: 'b' } });
    await alerting.whenIdle();
    expect(alerting.getChannelStates().find((s) => s.channel === 'chat')).toEqual({
      channel: 'chat',
      healthy: false,
      reason: 'circuit open after 2 consecutive failed deliveries',
      enabled: true,
      pending: 0,
    });
    expect(
      await metric(app, 'alerts_sent_total', {
        channel: 'chat',
        severity: 'warning',
        status: 'failed',
      }),
    ).toBe(2);

    chat.failing = false;
    alerting.send({ ...warning, labels: { queue: 'c' } });
    await tick(20);
    expect(chat.received).toHaveLength(0);
    clock.advance(30_000);
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(1);
    expect(alerting.getChannelStates().find((s) => s.channel === 'chat')?.healthy).toBe(true);
  });

  it('bounds the active alerts: past maxActiveAlerts the least recently raised one makes room, counted', async () => {
    const { app, alerting } = await start({ maxActiveAlerts: 2, routes: [{ channels: ['chat'] }] });
    for (const queue of ['a', 'b', 'c']) alerting.send({ ...warning, labels: { queue } });
    await alerting.whenIdle();
    expect(alerting.getActive().map((a) => a.labels.queue)).toEqual(['b', 'c']);
    expect(chat.received).toHaveLength(3);
    expect(await metric(app, 'alerts_expired_total', { reason: 'evicted' })).toBe(1);
    // Raising "b" again makes "c" the least recently raised.
    alerting.send({ ...warning, labels: { queue: 'b' } });
    alerting.send({ ...warning, labels: { queue: 'a' } });
    expect(alerting.getActive().map((a) => a.labels.queue)).toEqual(['b', 'a']);
  });

  it('is silent when alerting.enabled is false', async () => {
    const { alerting } = await start({ enabled: false });
    alerting.send(warning);
    await alerting.whenIdle();
    expect(chat.received).toHaveLength(0);
  });
});
