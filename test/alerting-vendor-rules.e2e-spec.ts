import { type INestApplication, type LoggerService, Module } from '@nestjs/common';
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
import { SmtpReceiver } from './utils/smtp-receiver';

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (message: unknown) => this.lines.push(String(message));
  error = (message: unknown) => this.lines.push(String(message));
  warn = (message: unknown) => this.lines.push(String(message));
}

/** Every string of a JSON value, at any depth. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

describe('Channel payloads follow each vendor’s rules', () => {
  let receiver: HttpReceiver;
  const apps: INestApplication[] = [];

  async function start(alerting: AlertingOptions, logger: LoggerService | false = false) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          environment: 'test',
          metrics: { enabled: false, defaultMetrics: false },
          alerting: { delivery: { backoffMs: 1, maxBackoffMs: 2, maxRetries: 3 }, ...alerting },
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger, abortOnError: false });
    await app.init();
    apps.push(app);
    return app.get(AlertingService);
  }
  const sent = async (channel: string, status: string, severity = 'critical') =>
    sampleValue(
      parseExposition(await apps.at(-1)!.get(CustomMetricsService).getMetrics()),
      'alerts_sent_total',
      { service: 'api', channel, severity, status },
    );

  beforeEach(async () => {
    receiver = await HttpReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await receiver.close();
  });

  const hostile = {
    name: 'DeployFailed',
    severity: 'critical' as const,
    summary: 'Deploy failed <!channel> & see <https://evil.example|Open runbook>',
    description: 'ping <@U024BE7LH> and <!here>',
    labels: { queue: '<!everyone>' },
  };

  it('Slack: &, < and > in alert text are escaped, so no mention or disguised link is sent', async () => {
    const alerting = await start({ channels: { slack: { webhookUrl: receiver.url('/s') } } });
    alerting.send(hostile);
    const [request] = await receiver.waitFor(1);
    for (const text of stringsOf(request.json)) expect(text).not.toMatch(/[<>]/);
    expect(request.json.blocks[1].text.text).toBe(
      'CRITICAL: Deploy failed &lt;!channel&gt; &amp; see &lt;https://evil.example|Open runbook&gt;\n' +
        'ping &lt;@U024BE7LH&gt; and &lt;!here&gt;\nLabels: queue=&lt;!everyone&gt;',
    );
  });

  it('a webhook in Slack format escapes the same way', async () => {
    const alerting = await start({
      channels: { webhook: { url: receiver.url('/hook'), format: 'slack' } },
    });
    alerting.send(hostile);
    const [request] = await receiver.waitFor(1);
    for (const text of stringsOf(request.json)) expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(request.json.blocks[1].text.text).toContain('&lt;!channel&gt; &amp;');
  });

  it('Slack "channel" and "username" warn at boot: app webhooks ignore them', async () => {
    const logger = new CapturingLogger();
    await start(
      {
        channels: {
          slack: { webhookUrl: receiver.url('/s'), channel: '#alerts', username: 'bot' },
        },
      },
      logger,
    );
    expect(logger.lines).toContainEqual(
      expect.stringContaining(
        '"alerting.channels.slack.channel" and "alerting.channels.slack.username" are ignored by Slack app webhooks',
      ),
    );
  });

  it('Discord: every documented limit holds, the 6000-character total included', async () => {
    const alerting = await start({
      channels: {
        discord: { webhookUrl: receiver.url('/api/webhooks/1/t'), username: 'u'.repeat(120) },
      },
      templates: { discord: { title: 'T'.repeat(400) } },
    });
    const labels = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`label_${i}_${'n'.repeat(40)}`, 'v'.repeat(300)]),
    );
    alerting.send({
      name: 'Huge',
      severity: 'critical',
      summary: 's'.repeat(3990),
      description: 'd'.repeat(3990),
      labels,
    });
    const [request] = await receiver.waitFor(1);
    const body = request.json;
    expect(body.username.length).toBeLessThanOrEqual(80);
    if (body.content !== undefined) expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.embeds.length).toBeLessThanOrEqual(10);
    let total = 0;
    for (const embed of body.embeds) {
      expect(embed.title.length).toBeLessThanOrEqual(256);
      expect(embed.description.length).toBeLessThanOrEqual(4096);
      expect(embed.fields.length).toBeLessThanOrEqual(25);
      expect(embed.footer.text.length).toBeLessThanOrEqual(2048);
      total += embed.title.length + embed.description.length + embed.footer.text.length;
      for (const field of embed.fields) {
        expect(field.name.length).toBeGreaterThan(0);
        expect(field.name.length).toBeLessThanOrEqual(256);
        expect(field.value.length).toBeGreaterThan(0);
        expect(field.value.length).toBeLessThanOrEqual(1024);
        total += field.name.length + field.value.length;
      }
    }
    expect(total).toBeLessThanOrEqual(6000);
    // The summary comes first and survives; labels give way.
    expect(body.embeds[0].description.startsWith('CRITICAL: sss')).toBe(true);
    expect(body.embeds[0].fields.slice(0, 3).map((f: { name: string }) => f.name)).toEqual([
      'Severity',
      'Service',
      'Environment',
    ]);
  });

  it('SMS: a failed recipient is retried alone; the others get the message once', async () => {
    const alerting = await start({
      channels: {
        sms: {
          accountSid: 'AC1',
          authToken: 'token',
          from: '+15550000000',
          to: ['+15551111111', '+15552222222', '+15553333333'],
          baseUrl: receiver.url(),
        },
      },
    });
    receiver
      .respondWith({ status: 201 }, { status: 503 }, { status: 201 }, { status: 201 })
      .setDefault({ status: 201 });
    alerting.send({ name: 'Down', severity: 'critical', summary: 'down' });
    await alerting.whenIdle();
    expect(receiver.requests.map((r) => r.form?.To)).toEqual([
      '+15551111111',
      '+15552222222',
      '+15553333333',
      '+15552222222',
    ]);
    expect(await sent('sms', 'success')).toBe(1);
  });

  it('SMS: a recipient refused for good is not retried, and the delivery counts as failed', async () => {
    const logger = new CapturingLogger();
    const alerting = await start(
      {
        channels: {
          sms: {
            accountSid: 'AC1',
            authToken: 'token',
            from: '+15550000000',
            to: ['+15551111111', '+15552222222', '+15553333333'],
            baseUrl: receiver.url(),
          },
        },
      },
      logger,
    );
    receiver
      .respondWith({ status: 201 }, { status: 400 }, { status: 503 })
      .setDefault({ status: 201 });
    alerting.send({ name: 'Down', severity: 'critical', summary: 'down' });
    await alerting.whenIdle();
    expect(receiver.requests.map((r) => r.form?.To)).toEqual([
      '+15551111111',
      '+15552222222',
      '+15553333333',
      '+15553333333',
    ]);
    expect(await sent('sms', 'failed')).toBe(1);
    expect(logger.lines.join('\n')).toContain('1 of 3 recipients refused: HTTP 400');
  });

  it('email: a recipient refused for now is retried alone; the others get one mail', async () => {
    let refusals = 0;
    const smtp = await SmtpReceiver.start({
      onRecipient: (address) =>
        address === 'b@example.com' && refusals++ === 0
          ? { code: 450, message: 'mailbox busy' }
          : undefined,
    });
    try {
      const alerting = await start({
        channels: {
          email: {
            smtpUrl: smtp.url(),
            from: 'alerts@example.com',
            to: ['a@example.com', 'b@example.com', 'c@example.com'],
          },
        },
      });
      alerting.send({ name: 'Down', severity: 'critical', summary: 'down' });
      await alerting.whenIdle();
      expect(smtp.messages.map((m) => m.to)).toEqual([
        ['a@example.com', 'c@example.com'],
        ['b@example.com'],
      ]);
      expect(await sent('email', 'success')).toBe(1);
    } finally {
      await smtp.close();
    }
  });

  describeWithAlertmanager('with a real Alertmanager', () => {
    it('Alertmanager: annotation and label names become valid label names, so the alert and its resolve arrive', async () => {
      const manager = await Alertmanager.start();
      try {
        const alerting = await start({ channels: { alertmanager: { url: manager.url } } });
        alerting.send({
          name: 'QueueJobFailed',
          severity: 'warning',
          summary: 'failing',
          labels: { 'team-name': 'payments' },
          annotations: {
            'runbook-url': 'https://wiki/runbook',
            '1st.note': 'x',
            runbook_url: 'kept',
          },
        });
        await alerting.whenIdle();
        const [alert] = await manager.alerts();
        expect(alert.labels).toEqual({
          alertname: 'QueueJobFailed',
          severity: 'warning',
          service: 'api',
          team_name: 'payments',
        });
        expect(alert.annotations).toEqual({
          summary: 'failing',
          runbook_url: 'kept',
          runbook_url_2: 'https://wiki/runbook',
          _1st_note: 'x',
        });
        expect(await sent('alertmanager', 'success', 'warning')).toBe(1);

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
