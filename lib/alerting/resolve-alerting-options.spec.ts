import { resolveOptions } from '../config/resolve-options';

const env = { SERVICE_NAME: 'svc', APP_VERSION: '1.0.0' };

describe('alerting options', () => {
  it('defaults to the log channel only, 4h repeat interval, no grouping, 1000-deep queues', () => {
    const { alerting } = resolveOptions({}, env);
    expect(alerting.enabled).toBe(true);
    expect(alerting.channels).toEqual([
      {
        name: 'log',
        enabled: true,
        timeoutMs: undefined,
        rateLimitPerMinute: undefined,
        template: undefined,
      },
    ]);
    expect(alerting.repeatIntervalMs).toBe(4 * 3600 * 1000);
    expect(alerting.groupWaitMs).toBe(0);
    expect(alerting.queueMaxSize).toBe(1000);
    expect(alerting.delivery).toEqual({
      timeoutMs: 5000,
      maxRetries: 5,
      backoffMs: 500,
      maxBackoffMs: 30000,
      breakerThreshold: 5,
      breakerCooldownMs: 30000,
      shutdownTimeoutMs: 5000,
      concurrency: 8,
    });
    expect(alerting.admin).toMatchObject({
      token: undefined,
      guard: undefined,
      path: '/alerts',
      rateLimitPerMinute: 60,
    });
    expect(alerting.maxActiveAlerts).toBe(10_000);
    expect(alerting.activeAlertTtlMs).toBeUndefined();
  });

  it('accepts the log channel configured explicitly, and names its unknown keys', () => {
    const { alerting } = resolveOptions(
      { alerting: { channels: { log: { enabled: true, rateLimitPerMinute: 10 } } } },
      env,
    );
    expect(alerting.channels).toEqual([
      {
        name: 'log',
        enabled: true,
        timeoutMs: undefined,
        rateLimitPerMinute: 10,
        template: undefined,
      },
    ]);
    expect(() =>
      resolveOptions({ alerting: { channels: { log: { url: 'x' } as never } } }, env),
    ).toThrow(
      'alerting.channels.log.url: unknown option; expected one of enabled, timeoutMs, rateLimitPerMinute, template',
    );
  });

  it('configures every channel from the environment, and drops the default log channel', () => {
    const { alerting } = resolveOptions(
      {},
      {
        ...env,
        ALERT_WEBHOOK_URL: 'https://hooks.example.com/T000/B000/XXX',
        ALERT_WEBHOOK_SECRET: 's3cret',
        SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
        DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/abc',
        PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'tok',
        TWILIO_FROM: '+15550000000',
        ALERT_SMS_TO: '+15551111111, +15552222222',
        SMTP_URL: 'smtp://user:pass@mail.example.com:587',
        ALERT_EMAIL_TO: 'oncall@example.com',
        ALERTMANAGER_URL: 'http://alertmanager:9093',
        ALERT_ADMIN_TOKEN: 'admin-token',
      },
    );
    expect(alerting.channels.map((c) => c.name)).toEqual([
      'webhook',
      'slack',
      'discord',
      'email',
      'sms',
      'pagerduty',
      'alertmanager',
    ]);
    expect(alerting.channels[0]).toMatchObject({
      url: 'https://hooks.example.com/T000/B000/XXX',
      secret: 's3cret',
    });
    expect(alerting.channels.find((c) => c.name === 'sms')).toMatchObject({
      to: ['+15551111111', '+15552222222'],
    });
    expect(alerting.admin.token).toBe('admin-token');
  });

  it('reads paymentFailureSeverity: critical by default, a severity, or false', () => {
    expect(resolveOptions({}, env).alerting.paymentFailureSeverity).toBe('critical');
    for (const value of ['info', 'warning', 'critical', false] as const) {
      const { alerting } = resolveOptions({ alerting: { paymentFailureSeverity: value } }, env);
      expect(alerting.paymentFailureSeverity).toBe(value);
    }
    expect(() =>
      resolveOptions({ alerting: { paymentFailureSeverity: 'page' as never } }, env),
    ).toThrow(
      'alerting.paymentFailureSeverity: expected one of "info", "warning", "critical" or false, got "page"',
    );
  });

  it('names every bad field in one boot error', () => {
    let message = '';
    try {
      resolveOptions(
        {
          alerting: {
            channels: {
              webhook: { url: 'ftp://example.com/hook' },
              slack: {} as never,
              sms: { accountSid: 'AC1' },
              log: true,
            },
            routes: [{ severity: 'fatal' as never, channels: ['slack', 'log'] }],
            repeatIntervalMs: -1,
            queue: { maxSize: 0 },
            typo: 1,
          } as never,
        },
        env,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'alerting.channels.webhook.url: expected an http(s) URL, got "ftp://example.com/***"',
    );
    expect(message).toContain(
      'alerting.channels.slack.webhookUrl: expected a value (option or environment variable)',
    );
    expect(message).toContain('alerting.channels.sms.authToken: expected a value');
    expect(message).toContain('alerting.channels.sms.from: expected a value');
    expect(message).toContain('alerting.channels.sms.to: expected a value');
    expect(message).toContain(
      'alerting.routes[0].severity: expected one or more of info, warning, critical, got "fatal"',
    );
    expect(message).toContain(
      'alerting.routes[0].channels[0]: expected a configured channel (log), got "slack"',
    );
    expect(message).toContain(
      'alerting.repeatIntervalMs: expected a positive integer <= 2147483647, got -1',
    );
    expect(message).toContain('alerting.queue.maxSize: expected a positive integer, got 0');
    expect(message).toContain('alerting.typo: unknown option; expected one of enabled, channels');
  });

  it('refuses timers above 2^31-1 ms (Node would fire them at once), naming each field', () => {
    const tooLong = 3e9;
    let message = '';
    try {
      resolveOptions(
        {
          alerting: {
            channels: { log: { timeoutMs: tooLong } },
            routes: [
              { channels: ['log'], escalateAfterMs: tooLong, escalateTo: ['log'] },
              { channels: ['log'], groupWaitMs: tooLong, repeatIntervalMs: tooLong },
            ],
            delivery: {
              timeoutMs: tooLong,
              backoffMs: tooLong,
              maxBackoffMs: tooLong,
              breakerCooldownMs: tooLong,
              shutdownTimeoutMs: tooLong,
            },
          },
        },
        env,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    for (const field of [
      'alerting.channels.log.timeoutMs: expected a positive integer',
      'alerting.routes[0].escalateAfterMs: expected a positive integer',
      'alerting.routes[1].groupWaitMs: expected an integer 0-2147483647',
      'alerting.routes[1].repeatIntervalMs: expected a positive integer',
      'alerting.delivery.timeoutMs: expected a positive integer',
      'alerting.delivery.backoffMs: expected an integer 0-2147483647',
      'alerting.delivery.maxBackoffMs: expected an integer 0-2147483647',
      'alerting.delivery.breakerCooldownMs: expected an integer 0-2147483647',
      'alerting.delivery.shutdownTimeoutMs: expected an integer 0-2147483647',
    ]) {
      expect(message).toContain(`${field}`);
    }
    expect(message).toContain(
      'alerting.delivery.timeoutMs: expected a positive integer <= 2147483647, got 3000000000',
    );
    expect(message).toContain(
      'alerting.routes[0].escalateAfterMs: expected a positive integer <= 2147483647, got 3000000000',
    );
  });

  it('reads the active-alert TTL and the admin rate limit', () => {
    const { alerting } = resolveOptions(
      { alerting: { activeAlertTtlMs: 3_600_000, admin: { rateLimitPerMinute: 5 } } },
      env,
    );
    expect(alerting.activeAlertTtlMs).toBe(3_600_000);
    expect(alerting.admin.rateLimitPerMinute).toBe(5);
    expect(() =>
      resolveOptions({ alerting: { activeAlertTtlMs: 0, admin: { rateLimitPerMinute: 0 } } }, env),
    ).toThrow(
      /alerting\.activeAlertTtlMs: expected a positive integer, got 0[\s\S]*alerting\.admin\.rateLimitPerMinute: expected a positive integer, got 0/,
    );
  });

  it('refuses a non-http(s) URL from the environment, naming the variable', () => {
    expect(() => resolveOptions({}, { ...env, ALERT_WEBHOOK_URL: 'javascript:alert(1)' })).toThrow(
      'ALERT_WEBHOOK_URL (environment): expected an http(s) URL, got "javascript:alert(1)"',
    );
  });
  it('refuses URLs with user:password@ at boot, naming the field, never the password', () => {
    let message = '';
    try {
      resolveOptions(
        {
          alerting: {
            channels: {
              webhook: { url: 'https://ops:hunter2@hooks.example.com/in' },
              sms: {
                accountSid: 'AC1',
                authToken: 't',
                from: '+1',
                to: '+2',
                baseUrl: 'https://AC1:hunter2@api.twilio.com',
              },
              pagerduty: {
                routingKey: 'k',
                url: 'https://x:hunter2@events.pagerduty.com/v2/enqueue',
              },
              alertmanager: {
                url: 'http://admin:hunter2@alertmanager:9093',
                generatorUrl: 'https://u:hunter2@grafana/x',
              },
            },
          },
        },
        { ...env, SLACK_WEBHOOK_URL: 'https://u:hunter2@hooks.slack.com/services/T/B/X' },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'alerting.channels.webhook.url: expected an http(s) URL without "user:password@" (fetch refuses credentials in URLs; put them in "headers", e.g. { Authorization: "Basic …" }), got "https://***@hooks.example.com/***"',
    );
    for (const field of [
      'alerting.channels.sms.baseUrl',
      'alerting.channels.pagerduty.url',
      'alerting.channels.alertmanager.url',
      'alerting.channels.alertmanager.generatorUrl',
      'SLACK_WEBHOOK_URL (environment)',
    ]) {
      expect(message).toContain(`${field}: expected an http(s) URL without "user:password@"`);
    }
    expect(message).not.toContain('hunter2');
  });

  it("reads the admin API's allowed origins and loopback http, refusing anything but an origin", () => {
    const { alerting } = resolveOptions(
      {
        alerting: {
          admin: {
            allowedOrigins: ['https://hooks.example.com', 'https://api.eu.twilio.com:8443/'],
            allowLoopbackHttp: true,
          },
        },
      },
      env,
    );
    expect(alerting.admin).toMatchObject({
      allowedOrigins: ['https://hooks.example.com', 'https://api.eu.twilio.com:8443'],
      allowLoopbackHttp: true,
    });
    expect(resolveOptions({}, env).alerting.admin).toMatchObject({
      allowedOrigins: [],
      allowLoopbackHttp: false,
    });
    expect(() =>
      resolveOptions(
        {
          alerting: {
            admin: {
              allowedOrigins: [
                'https://hooks.example.com/services',
                'https://u:hunter2@x.example',
                'ftp://x',
              ],
            },
          },
        },
        env,
      ),
    ).toThrow(
      [
        '  - alerting.admin.allowedOrigins[0]: expected an origin like "https://hooks.example.com" (scheme, host and port only), got "https://hooks.example.com/services"',
        '  - alerting.admin.allowedOrigins[1]: expected an origin like "https://hooks.example.com" (scheme, host and port only), got "https://***@x.example"',
        '  - alerting.admin.allowedOrigins[2]: expected an origin like "https://hooks.example.com" (scheme, host and port only), got "ftp://x"',
      ].join('\n'),
    );
  });
});
