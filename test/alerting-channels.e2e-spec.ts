import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHmac } from 'node:crypto';
import {
  AlertingService,
  type AlertingOptions,
  CustomMetricsService,
  ObservabilityModule,
} from 'nestjs-observability';
import { Alertmanager, describeWithAlertmanager } from './utils/alertmanager';
import { parseExposition, sampleValue } from './utils/exposition';
import { HttpReceiver } from './utils/http-receiver';
import { SmtpReceiver } from './utils/smtp-receiver';

async function boot(alerting: AlertingOptions): Promise<INestApplication> {
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        service: 'api',
        environment: 'test',
        metrics: { enabled: false, defaultMetrics: false },
        alerting,
      }),
    ],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  return app;
}

const queueAlert = {
  name: 'QueueJobFailed',
  severity: 'critical' as const,
  summary: 'Job failed in queue "emails"',
  description: 'SMTP timeout after 3 attempts',
  labels: { queue: 'emails' },
  annotations: { job_id: '42' },
};

describe('Alert channels against real receivers', () => {
  let receiver: HttpReceiver;
  const apps: INestApplication[] = [];
  const start = async (alerting: AlertingOptions) => {
    const app = await boot(alerting);
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    receiver = await HttpReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await receiver.close();
    delete process.env.ALERT_WEBHOOK_URL;
  });

  it('with no channel configured, alerts go to the Nest logger (log channel)', async () => {
    const lines: Array<[string, string]> = [];
    const logger = {
      log: (m: unknown, c?: string) => lines.push(['log', `${c}: ${String(m)}`]),
      warn: (m: unknown, c?: string) => lines.push(['warn', `${c}: ${String(m)}`]),
      error: (m: unknown, ...rest: unknown[]) =>
        lines.push(['error', `${String(rest.at(-1))}: ${String(m)}`]),
    };
    @Module({
      imports: [ObservabilityModule.forRoot({ service: 'api', metrics: { enabled: false } })],
    })
    class LogModule {}
    const app = await NestFactory.create(LogModule, { logger, abortOnError: false });
    apps.push(app);
    await app.init();
    const alerting = app.get(AlertingService);
    alerting.send(queueAlert);
    alerting.send({ name: 'Slow', severity: 'warning', summary: 'p95 above 2s' });
    await alerting.whenIdle();
    expect(lines).toContainEqual([
      'error',
      'Alerting: [FIRING:1] QueueJobFailed: CRITICAL: Job failed in queue "emails" | SMTP timeout after 3 attempts | Labels: queue=emails',
    ]);
    expect(lines).toContainEqual(['warn', 'Alerting: [FIRING:1] Slow: WARNING: p95 above 2s']);
  });

  it('ALERT_WEBHOOK_URL alone delivers every alert to the webhook as JSON, signed with HMAC-SHA256', async () => {
    process.env.ALERT_WEBHOOK_URL = receiver.url('/hooks/T000/secret-path');
    const app = await start({
      channels: { webhook: { secret: 'shh', headers: { 'X-Source': 'QES-Platform' } } },
    });
    const alerting = app.get(AlertingService);
    alerting.send(queueAlert);
    alerting.send({ name: 'Info', severity: 'info', summary: 'FYI' });
    const [first, second] = await receiver.waitFor(2);

    expect(first.method).toBe('POST');
    expect(first.url).toBe('/hooks/T000/secret-path');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-source']).toBe('QES-Platform');
    expect(first.json).toMatchObject({
      version: '1',
      status: 'firing',
      severity: 'critical',
      service: 'api',
      environment: 'test',
      title: '[FIRING:1] QueueJobFailed',
      alerts: [
        {
          name: 'QueueJobFailed',
          status: 'firing',
          severity: 'critical',
          summary: 'Job failed in queue "emails"',
          description: 'SMTP timeout after 3 attempts',
          labels: { queue: 'emails' },
          annotations: { job_id: '42' },
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        },
      ],
    });
    expect(second.json.alerts[0]).toMatchObject({ name: 'Info', severity: 'info' });

    const header = String(first.headers['x-alert-signature']);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(match).not.toBeNull();
    const expected = createHmac('sha256', 'shh').update(`${match![1]}.${first.body}`).digest('hex');
    expect(match![2]).toBe(expected);
    const wrong = createHmac('sha256', 'other').update(`${match![1]}.${first.body}`).digest('hex');
    expect(match![2]).not.toBe(wrong);
  });

  it('Slack gets a Block Kit message: header, mrkdwn section and context, with a text fallback', async () => {
    const app = await start({
      channels: { slack: { webhookUrl: receiver.url('/services/T/B/X'), channel: '#alerts' } },
    });
    app.get(AlertingService).send(queueAlert);
    const [request] = await receiver.waitFor(1);
    expect(request.url).toBe('/services/T/B/X');
    expect(request.json).toEqual({
      text: ':red_circle: [FIRING:1] QueueJobFailed',
      channel: '#alerts',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: '[FIRING:1] QueueJobFailed', emoji: true },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'CRITICAL: Job failed in queue "emails"\nSMTP timeout after 3 attempts\nLabels: queue=emails',
          },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: ':red_circle: *critical* · service `api` · test' }],
        },
      ],
    });
  });

  it('ALERT_WEBHOOK_URL pointing at Slack (seed 000) gets the Slack body; format: "slack" forces it', async () => {
    const app = await start({
      channels: { webhook: { url: receiver.url('/services/T/B/X'), format: 'slack' } },
    });
    app.get(AlertingService).send(queueAlert);
    const [request] = await receiver.waitFor(1);
    expect(request.json.text).toBe(':red_circle: [FIRING:1] QueueJobFailed');
    expect(request.json.blocks.map((b: { type: string }) => b.type)).toEqual([
      'header',
      'section',
      'context',
    ]);
    expect(request.json.alerts).toBeUndefined();
  });

  it('templates override the title and text per channel', async () => {
    const app = await start({
      channels: { slack: { webhookUrl: receiver.url('/s') } },
      templates: {
        slack: {
          title: '{{service}}: {{name}} on {{labels.queue}} ({{STATUS}})',
          text: (n) => `${n.alerts.length} alert(s), job ${n.alerts[0].annotations.job_id}`,
        },
      },
    });
    app.get(AlertingService).send(queueAlert);
    const [request] = await receiver.waitFor(1);
    expect(request.json.blocks[0].text.text).toBe('api: QueueJobFailed on emails (FIRING)');
    expect(request.json.blocks[1].text.text).toBe('1 alert(s), job 42');
  });

  it('Discord gets one embed with title, description, colour by severity, fields and a timestamp', async () => {
    const app = await start({
      channels: { discord: { webhookUrl: receiver.url('/api/webhooks/1/tok') } },
    });
    const alerting = app.get(AlertingService);
    alerting.send({ ...queueAlert, severity: 'warning' });
    const [request] = await receiver.waitFor(1);
    const embed = request.json.embeds[0];
    expect(request.json.embeds).toHaveLength(1);
    expect(embed).toMatchObject({
      title: '[FIRING:1] QueueJobFailed',
      description: expect.stringContaining('WARNING: Job failed in queue "emails"'),
      color: 0xf2c744,
      fields: [
        { name: 'Severity', value: 'warning', inline: true },
        { name: 'Service', value: 'api', inline: true },
        { name: 'Environment', value: 'test', inline: true },
        { name: 'queue', value: 'emails', inline: true },
      ],
    });
    expect(new Date(embed.timestamp).toISOString()).toBe(embed.timestamp);
  });

  it('PagerDuty gets Events API v2 trigger, acknowledge and resolve with dedup_key = fingerprint', async () => {
    const app = await start({
      channels: {
        pagerduty: { routingKey: 'R0UTINGKEY0123456789', url: receiver.url('/v2/enqueue') },
      },
    });
    receiver.setDefault({ status: 202, body: '{"status":"success","message":"Event processed"}' });
    const alerting = app.get(AlertingService);
    alerting.send(queueAlert);
    const [active] = alerting.getActive();
    expect(alerting.acknowledge(active.fingerprint, 'alice')).toBe(true);
    expect(alerting.resolve(active.fingerprint)).toBe(true);
    const [trigger, acknowledge, resolve] = await receiver.waitFor(3);
    expect(acknowledge.json).toEqual({
      routing_key: 'R0UTINGKEY0123456789',
      event_action: 'acknowledge',
      dedup_key: active.fingerprint,
    });
    expect(trigger.url).toBe('/v2/enqueue');
    expect(trigger.json).toEqual({
      routing_key: 'R0UTINGKEY0123456789',
      event_action: 'trigger',
      dedup_key: active.fingerprint,
      payload: {
        summary: 'Job failed in queue "emails"',
        severity: 'critical',
        source: 'api',
        timestamp: active.startsAt.toISOString(),
        class: 'QueueJobFailed',
        component: 'api',
        custom_details: {
          description: 'SMTP timeout after 3 attempts',
          labels: { queue: 'emails' },
          annotations: { job_id: '42' },
          environment: 'test',
          escalation: false,
        },
      },
      client: 'nestjs-observability',
    });
    expect(resolve.json).toEqual({
      routing_key: 'R0UTINGKEY0123456789',
      event_action: 'resolve',
      dedup_key: active.fingerprint,
    });
  });

  it('Twilio gets one Messages API form post per recipient, with basic auth', async () => {
    const app = await start({
      channels: {
        sms: {
          accountSid: 'AC123',
          authToken: 'twilio-token',
          from: '+15550000000',
          to: ['+15551111111', '+15552222222'],
          baseUrl: receiver.url(),
        },
      },
    });
    receiver.setDefault({ status: 201, body: '{"sid":"SM1","status":"queued"}' });
    app.get(AlertingService).send(queueAlert);
    const requests = await receiver.waitFor(2);
    for (const [i, request] of requests.entries()) {
      expect(request.url).toBe('/2010-04-01/Accounts/AC123/Messages.json');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers.authorization).toBe(
        `Basic ${Buffer.from('AC123:twilio-token').toString('base64')}`,
      );
      expect(request.form).toEqual({
        To: ['+15551111111', '+15552222222'][i],
        From: '+15550000000',
        Body: '[FIRING:1] QueueJobFailed\nCRITICAL: Job failed in queue "emails"\nSMTP timeout after 3 attempts\nLabels: queue=emails',
      });
    }
  });

  it('email goes through a real SMTP server with the title as subject and the text as body', async () => {
    const smtp = await SmtpReceiver.start();
    try {
      const app = await start({
        channels: {
          email: {
            smtpUrl: smtp.url(),
            from: 'alerts@example.com',
            to: ['oncall@example.com', 'cto@example.com'],
          },
        },
      });
      app.get(AlertingService).send(queueAlert);
      const [mail] = await smtp.waitFor(1);
      expect(mail.from).toBe('alerts@example.com');
      expect(mail.to).toEqual(['oncall@example.com', 'cto@example.com']);
      expect(mail.subject).toBe('[FIRING:1] QueueJobFailed');
      expect(mail.text).toContain('CRITICAL: Job failed in queue "emails"');
      expect(mail.text).toContain('SMTP timeout after 3 attempts');
      await app.get(AlertingService).whenIdle();
      const exposition = parseExposition(await app.get(CustomMetricsService).getMetrics());
      expect(
        sampleValue(exposition, 'alerts_sent_total', {
          service: 'api',
          channel: 'email',
          severity: 'critical',
          status: 'success',
        }),
      ).toBe(1);
    } finally {
      await smtp.close();
    }
  });

  describeWithAlertmanager('Prometheus Alertmanager', () => {
    it('receives the alert through POST /api/v2/alerts and drops it once resolved', async () => {
      const manager = await Alertmanager.start();
      try {
        const app = await start({ channels: { alertmanager: { url: manager.url } } });
        const alerting = app.get(AlertingService);
        alerting.send(queueAlert);
        await alerting.whenIdle();
        const alerts = await manager.alerts();
        expect(alerts).toHaveLength(1);
        expect(alerts[0].labels).toEqual({
          alertname: 'QueueJobFailed',
          severity: 'critical',
          service: 'api',
          queue: 'emails',
        });
        expect(alerts[0].annotations).toEqual({
          summary: 'Job failed in queue "emails"',
          description: 'SMTP timeout after 3 attempts',
          job_id: '42',
        });
        expect(alerts[0].status.state).toBe('active');
        // Active until the repeat interval (4 h) + 5 min, unless re-sent or resolved.
        const ttl = Date.parse(alerts[0].endsAt) - Date.now();
        expect(ttl).toBeGreaterThan(4 * 3600_000);
        expect(ttl).toBeLessThanOrEqual(4 * 3600_000 + 5 * 60_000);

        alerting.resolve(alerting.getActive()[0].fingerprint);
        await alerting.whenIdle();
        let remaining = await manager.alerts();
        for (let i = 0; i < 50 && remaining.length > 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          remaining = await manager.alerts();
        }
        expect(remaining).toEqual([]);
      } finally {
        await manager.stop();
      }
    });
  });
});
