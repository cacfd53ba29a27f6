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
    });
    expect(alerting.admin).toEqual({ token: undefined, guard: undefined, path: '/alerts' });
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

  it('refuses a non-http(s) URL from the environment, naming the variable', () => {
    expect(() => resolveOptions({}, { ...env, ALERT_WEBHOOK_URL: 'javascript:alert(1)' })).toThrow(
      'ALERT_WEBHOOK_URL (environment): expected an http(s) URL, got "javascript:alert(1)"',
    );
  });
});
