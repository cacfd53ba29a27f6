import { type INestApplication, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type AlertingOptions,
  AlertingService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
} from 'nestjs-observability';
import { ADAPTERS } from './utils/http-apps';
import { HttpReceiver } from './utils/http-receiver';
import { LogCapture } from './utils/log-capture';
import { metricsUrl } from './utils/metrics-client';
import { SmtpReceiver } from './utils/smtp-receiver';

/** Every secret the channels are configured with; none may appear anywhere we can read. */
const SECRET = {
  webhookPath: 'hookpath-S3CRET-a1b2c3',
  webhookQuery: 'querytoken-S3CRET-d4e5',
  webhookHeader: 'header-S3CRET-f6a7b8',
  webhookSigning: 'signing-S3CRET-c9d0',
  slackPath: 'xoxb-slackpath-S3CRET-e1f2',
  discordToken: 'discordtoken-S3CRET-a3b4c5',
  smtpPassword: 'smtppass-S3CRET-d6e7',
  twilioSid: 'AC0d9f8e7a6b5c4d3e2f1a0b9c8d7e6f5a',
  twilioToken: 'twiliotoken-S3CRET-f8a9',
  routingKey: 'routingkey-S3CRET-b0c1d2',
  adminToken: 'admintoken-S3CRET-a5b6',
  rotatedHeader: 'rotated-S3CRET-c7d8e9',
};
const FORMS = [
  ...Object.values(SECRET),
  Buffer.from(`${SECRET.twilioSid}:${SECRET.twilioToken}`).toString('base64'),
];

/** Every line any logger got, with every argument (stacks, contexts, objects). */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record = (...args: unknown[]) => {
    const text = (a: unknown) =>
      a instanceof Error
        ? `${a.message}\n${a.stack}`
        : typeof a === 'string'
          ? a
          : JSON.stringify(a);
    this.lines.push(args.map(text).join(' '));
  };
  log = this.record;
  error = this.record;
  warn = this.record;
  debug = this.record;
  verbose = this.record;
  fatal = this.record;
}

function expectNoSecret(what: string, text: string) {
  for (const secret of FORMS) {
    if (text.includes(secret)) throw new Error(`${what} contains the secret "${secret}":\n${text}`);
  }
}

describe.each(ADAPTERS)('Alerting never exposes channel secrets (%s)', (_name, adapter) => {
  let echo: HttpReceiver;
  let smtp: SmtpReceiver;
  let app: INestApplication | undefined;
  let logger: CapturingLogger;
  let capture: LogCapture;
  let base: string;

  const channels = (): NonNullable<AlertingOptions['channels']> => ({
    webhook: {
      url: `${echo.url(`/hooks/${SECRET.webhookPath}`)}?token=${SECRET.webhookQuery}`,
      headers: { Authorization: `Bearer ${SECRET.webhookHeader}`, 'X-Source': 'ops' },
      secret: SECRET.webhookSigning,
    },
    slack: { webhookUrl: echo.url(`/services/T0/B0/${SECRET.slackPath}`) },
    discord: { webhookUrl: echo.url(`/api/webhooks/123/${SECRET.discordToken}`) },
    email: {
      smtpUrl: `smtp://alerts:${SECRET.smtpPassword}@127.0.0.1:${smtp.port}`,
      from: 'alerts@example.com',
      to: ['oncall@example.com'],
    },
    sms: {
      accountSid: SECRET.twilioSid,
      authToken: SECRET.twilioToken,
      from: '+15550000000',
      to: ['+15551111111'],
      baseUrl: echo.url(),
    },
    pagerduty: { routingKey: SECRET.routingKey, url: echo.url('/v2/enqueue') },
    // Alertmanager's API takes no credential: its URL is the only option, and it is checked too.
    alertmanager: { url: echo.url('/am') },
  });

  async function start(options: ObservabilityModuleOptions): Promise<INestApplication> {
    @Module({ imports: [ObservabilityModule.forRoot(options)] })
    class AppModule {}
    const created = await NestFactory.create(AppModule, adapter(), {
      logger,
      abortOnError: false,
    });
    await created.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${created.getHttpServer().address().port}`;
    return created;
  }

  const options = (alerting: AlertingOptions = {}): ObservabilityModuleOptions => ({
    service: 'api',
    metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    logging: { stream: capture },
    alerting: {
      admin: { token: SECRET.adminToken },
      delivery: { maxRetries: 1, backoffMs: 1, maxBackoffMs: 2 },
      channels: channels(),
      ...alerting,
    },
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${SECRET.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return `${method} ${path} -> ${response.status} ${await response.text()}`;
  };

  beforeEach(async () => {
    echo = await HttpReceiver.start();
    smtp = await SmtpReceiver.start({
      auth: { user: 'alerts', pass: SECRET.smtpPassword },
      onRecipient: () => ({ code: 550, message: `no mailbox (auth ${SECRET.smtpPassword})` }),
    });
    logger = new CapturingLogger();
    capture = new LogCapture();
    // A receiver that echoes the request: URL, Authorization, headers and body.
    echo.respondWith({ status: 429, echo: true }).setDefault({ status: 400, echo: true });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await echo.close();
    await smtp.close();
  });

  it('in logs, boot errors, admin answers, /health/detailed and /metrics', async () => {
    const answers: string[] = [];

    // Boot errors: invalid options that hold the secrets.
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false },
          alerting: {
            admin: { token: [SECRET.adminToken] as never },
            channels: {
              webhook: {
                url: `ftp://ops:${SECRET.smtpPassword}@example.com/${SECRET.webhookPath}?token=${SECRET.webhookQuery}`,
                headers: { Authorization: [`Bearer ${SECRET.webhookHeader}`] } as never,
                secret: [SECRET.webhookSigning] as never,
              },
              slack: { webhookUrl: `hooks.slack.com/services/${SECRET.slackPath}` },
              discord: { webhookUrl: `ftp://discord.com/api/webhooks/1/${SECRET.discordToken}` },
              email: { smtpUrl: `http://alerts:${SECRET.smtpPassword}@mail`, to: 'a@b.c' },
              sms: {
                accountSid: [SECRET.twilioSid] as never,
                authToken: { value: SECRET.twilioToken } as never,
                from: '+1555',
                to: '+1556',
                baseUrl: `https://${SECRET.twilioSid}:${SECRET.twilioToken}@api.twilio.com`,
              },
              pagerduty: {
                routingKey: [SECRET.routingKey] as never,
                url: `https://events:${SECRET.routingKey}@events.pagerduty.com/v2/enqueue`,
              },
            },
          },
        }),
      ],
    })
    class InvalidModule {}
    const bootError = await NestFactory.create(InvalidModule, adapter(), {
      logger,
      abortOnError: false,
    }).then(
      (created) => created.close().then(() => 'booted'),
      (error: Error) => `${error.message}\n${error.stack}`,
    );
    expect(bootError).toContain('alerting.channels.sms.accountSid');
    expect(bootError).toContain('alerting.channels.pagerduty.url');
    answers.push(bootError);

    app = await start(options());
    const alerting = app.get(AlertingService);
    alerting.send({ name: 'PaymentFailure', severity: 'critical', summary: 'card declined' });
    await alerting.whenIdle();
    expect(echo.requests.length).toBeGreaterThanOrEqual(6);

    for (const channel of alerting.channelNames()) {
      answers.push(await call('POST', `/alerts/test?channel=${channel}`));
    }
    // The test answers still say what went wrong: the status, and the scrubbed body.
    expect(answers.join('\n')).toContain('HTTP 400');
    answers.push(await call('GET', '/alerts?active_only=false'));
    answers.push(await call('GET', '/alerts'));
    for (const body of [
      {
        channel: 'webhook',
        url: `http://169.254.169.254/${SECRET.webhookPath}?t=${SECRET.webhookQuery}`,
      },
      { channel: 'webhook', url: `ftp://x/${SECRET.webhookPath}` },
      { channel: 'webhook', url: `https://u:${SECRET.twilioToken}@example.com/` },
      { channel: 'webhook', config: { headers: { Authorization: [SECRET.webhookHeader] } } },
      {
        channel: 'sms',
        config: {
          account_sid: SECRET.twilioSid,
          auth_token: SECRET.twilioToken,
          url: `https://example.com/${SECRET.twilioToken}`,
        },
      },
      {
        channel: 'pagerduty',
        config: { routingKey: [SECRET.routingKey], token: SECRET.routingKey },
      },
      { channel: SECRET.routingKey, enabled: false },
    ]) {
      const answer = await call('POST', '/alerts/configure', body);
      expect(answer).toMatch(/-> 400 /);
      answers.push(answer);
    }
    const health = await fetch(`${base}/health/detailed`);
    answers.push(`health ${health.status} ${await health.text()}`);
    const metrics = await fetch(`${metricsUrl(app)}/metrics`);
    answers.push(`metrics ${metrics.status} ${await metrics.text()}`);
    await app.close();
    app = undefined;

    expectNoSecret('the Nest logger', logger.lines.join('\n'));
    expectNoSecret('the structured log', capture.text);
    expectNoSecret('an answer', answers.join('\n'));
    if (process.env.SHOW_ANSWERS) console.log([...answers, ...logger.lines].join('\n'));
    // The failures were logged, with what the receivers answered (scrubbed).
    expect(logger.lines.join('\n')).toMatch(/Alert delivery to channel "sms" failed: HTTP 400/);
  });

  it('including credentials given at runtime with a new origin', async () => {
    const other = await HttpReceiver.start();
    try {
      other.setDefault({ status: 500, echo: true });
      app = await start(
        options({
          admin: {
            token: SECRET.adminToken,
            allowLoopbackHttp: true,
            allowedOrigins: [new URL(other.url()).origin],
          },
        }),
      );
      const answers = [
        await call('POST', '/alerts/configure', {
          channel: 'webhook',
          config: {
            url: other.url('/in'),
            headers: { Authorization: `Bearer ${SECRET.rotatedHeader}` },
            secret: null,
          },
        }),
        await call('POST', '/alerts/test?channel=webhook'),
      ];
      expect(answers[0]).toMatch(/-> 200 /);
      expect(answers[1]).toMatch(/-> 502 .*HTTP 500/);
      expect(other.requests[0].headers.authorization).toBe(`Bearer ${SECRET.rotatedHeader}`);
      const alerting = app.get(AlertingService);
      alerting.send({ name: 'Rotated', severity: 'warning', summary: 'after rotation' });
      await alerting.whenIdle();
      expectNoSecret('an answer', answers.join('\n'));
      expectNoSecret('the Nest logger', logger.lines.join('\n'));
    } finally {
      await other.close();
    }
  });
});
