import {
  EnvReader,
  MAX_TIMER_MS,
  OptionReader,
  PORT,
  readInteger,
  readLabels,
  readNumber,
  readOneOf,
  TIMER,
} from './option-reader';
import { describeValue, maskUrl, Problems } from './problems';
import { resolveOptions } from './resolve-options';

const env = { SERVICE_NAME: 'svc', APP_VERSION: '1.0.0' };

function messageOf(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('one message style for every capability', () => {
  it('names an unknown key the same way at every depth', () => {
    const message = messageOf(() =>
      resolveOptions(
        {
          servce: 'api',
          metrics: { prot: 9091 },
          alerting: { channels: { log: { url: 'http://x' } } },
          health: { checks: [{ name: 'db', check: () => ({}), critcal: true }] },
        } as never,
        env,
      ),
    );
    expect(message).toContain(
      '  - servce: unknown option; expected one of service, environment, version, metrics, kpi, alerting, health, queues, database, cache, logging, errors, redact, http, pushgateway, contexts, reports, tracing\n',
    );
    expect(message).toContain(
      '  - metrics.prot: unknown option; expected one of enabled, port, host, path, prefix, defaultLabels, defaultMetrics, buckets, auth, maxSeriesPerMetric\n',
    );
    expect(message).toContain(
      '  - alerting.channels.log.url: unknown option; expected one of enabled, timeoutMs, rateLimitPerMinute, template\n',
    );
    expect(message).toContain(
      '  - health.checks[0].critcal: unknown option; expected one of name, check, timeoutMs, critical\n',
    );
    // Every line is one of the two shapes.
    const lines = message.split('\n').filter((line) => line.startsWith('  - '));
    for (const line of lines) {
      expect(line).toMatch(
        /^ {2}- \S.*: (unknown option; expected one of .+|expected .+, got .+)$/,
      );
    }
  });

  it('names environment variables as NAME (environment)', () => {
    const message = messageOf(() =>
      resolveOptions(
        {},
        { ...env, ENABLE_METRICS: 'maybe', METRICS_PORT: '99999', ALERTING_ENABLED: 'nope' },
      ),
    );
    expect(message).toContain('ENABLE_METRICS (environment): expected true or false, got "maybe"');
    expect(message).toContain(
      'METRICS_PORT (environment): expected an integer 0-65535, got "99999"',
    );
    expect(message).toContain('ALERTING_ENABLED (environment): expected true or false, got "nope"');
  });

  it('never echoes a secret, whatever is wrong with it', () => {
    const secrets = {
      bearer: 'BEARER-TOKEN-123456',
      password: 'BASIC-PASSWORD-123456',
      dsnKey: 'abcdef0123456789abcdef',
      hookToken: 'HOOK-QUERY-TOKEN-1234',
      slackPath: 'T000SECRET/B000SECRET/XXXXSECRETXXXX',
      routingKey: 'ROUTINGKEY-123456',
      adminToken: 'ADMIN-TOKEN-123456',
      header: 'HEADER-VALUE-123456',
      redis: 'REDIS-PASSWORD-123456',
      twilio: 'TWILIO-TOKEN-123456',
      gateway: 'GATEWAY-PASSWORD-123456',
    };
    const options = {
      metrics: { auth: { type: 'bearer', token: 12345678901234 } },
      errors: { dsn: `https://${secrets.dsnKey}@o1.ingest.sentry.io` },
      alerting: {
        channels: {
          webhook: {
            url: `ftp://hooks.example.com/alert?token=${secrets.hookToken}`,
            headers: { Authorization: secrets.header, 'X-Retries': 3 },
          },
          slack: { webhookUrl: `hooks.slack.com/services/${secrets.slackPath}` },
          pagerduty: { routingKey: 12345678 },
          sms: { authToken: [secrets.twilio] },
        },
        admin: { token: 42, path: 'alerts' },
      },
      queues: {
        bullmq: { connection: `redis://:${secrets.redis}@redis:6379`, queues: ['a'] },
      },
      pushgateway: { url: `ftp://push:${secrets.gateway}@gateway:9091` },
    };
    const message = messageOf(() =>
      resolveOptions(options as never, {
        ...env,
        TWILIO_AUTH_TOKEN: secrets.twilio,
        SENTRY_DSN: secrets.dsnKey,
      }),
    );
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
    expect(message).not.toContain('12345678');
    expect(message).toContain(
      'metrics.auth.token: expected a non-empty string, got a number (not shown)',
    );
    expect(message).toContain(
      'errors.dsn: expected a Sentry DSN like https://<key>@<host>/<project>, got "https://***@o1.ingest.sentry.io"',
    );
    expect(message).toContain(
      'alerting.channels.webhook.url: expected an http(s) URL, got "ftp://hooks.example.com/***"',
    );
    expect(message).toContain(
      'alerting.channels.webhook.headers: expected an object of header name to string, got an object',
    );
    expect(message).toContain(
      'alerting.channels.slack.webhookUrl: expected an http(s) URL, got "hooks.slack.com/***"',
    );
    expect(message).toContain(
      'alerting.channels.pagerduty.routingKey: expected a non-empty string, got a number (not shown)',
    );
    expect(message).toContain(
      'alerting.channels.sms.authToken: expected a non-empty string, got an array',
    );
    expect(message).toContain(
      'alerting.admin.token: expected a non-empty string, got a number (not shown)',
    );
    expect(message).toContain(
      'queues.bullmq.connection: expected ioredis options ({ host, port, ... }) or an ioredis instance, got "redis://***@redis:6379"',
    );
    expect(message).toContain(
      'pushgateway.url: expected an http(s) URL, got "ftp://***@gateway:9091"',
    );
  });

  it('masks secrets inside an object shown whole, and a DSN from the environment', () => {
    const message = messageOf(() =>
      resolveOptions(
        { metrics: { auth: { type: 'digest', token: 'DIGEST-SECRET' } as never } },
        {
          ...env,
          SENTRY_DSN: 'https://KEY-IN-ENV@sentry.example.com',
        },
      ),
    );
    expect(message).not.toContain('DIGEST-SECRET');
    expect(message).not.toContain('KEY-IN-ENV');
    expect(message).toContain(
      `metrics.auth: expected { type: 'bearer', token } or { type: 'basic', username, password }, got {"type":"digest","token":a string (not shown)}`,
    );
    expect(message).toContain(
      'SENTRY_DSN (environment): expected a Sentry DSN like https://<key>@<host>/<project>, got "https://***@sentry.example.com"',
    );
  });
});

describe('Problems and describeValue', () => {
  it('shows ordinary values exactly', () => {
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue(1.5)).toBe('1.5');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 'a', /^x/])).toBe('[1, "a", /^x/]');
    expect(describeValue({ a: 1, b: { c: 'd' } })).toBe('{"a":1,"b":{"c":"d"}}');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(new Map())).toBe('an instance of Map');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(describeValue(cycle)).toBe('{"self":[Circular]}');
  });

  it('describes values at secret keys by their kind only', () => {
    for (const path of [
      'token',
      'metrics.auth.password',
      'alerting.channels.sms.authToken',
      'alerting.channels.pagerduty.routingKey',
      'x.apiKey',
      'ALERT_WEBHOOK_SECRET (environment)',
      'pushgateway.headers.X-Custom',
    ]) {
      expect(describeValue('s3cr3t', path)).toBe('a string (not shown)');
    }
    expect(describeValue('', 'token')).toBe('an empty string');
    expect(describeValue(7, 'token')).toBe('a number (not shown)');
    expect(describeValue(true, 'token')).toBe('true');
    expect(describeValue('x', 'kpi.tokenPricing.gpt-4.input')).toBe('"x"');
  });

  it('masks credentials, query and fragment of URLs, and the path of webhook URLs', () => {
    expect(maskUrl('https://u:p@h:1/x?token=t#f')).toBe('https://***@h:1/x?***');
    expect(maskUrl('https://hooks.slack.com/services/T/B/X', true)).toBe(
      'https://hooks.slack.com/***',
    );
    expect(describeValue('ftp://u:p@h/p?q', 'a.url')).toBe('"ftp://***@h/p?***"');
    expect(describeValue('https://h/T/B/X', 'SLACK_WEBHOOK_URL (environment)')).toBe(
      '"https://h/***"',
    );
  });

  it('records the two shapes', () => {
    const problems = new Problems();
    problems.add('a.b', 'a boolean', 'yes');
    problems.unknownKeys({ ok: 1, typo: 2 }, 'a', ['ok']);
    problems.addName('a.labels.bad-name', 'a label name', 'bad-name');
    expect(problems.list).toEqual([
      'a.b: expected a boolean, got "yes"',
      'a.typo: unknown option; expected one of ok',
      'a.labels.bad-name: expected a label name, got "bad-name"',
    ]);
    expect(() => problems.throwIfAny((list) => list.join('|'))).toThrow(/^a\.b: expected/);
  });
});

describe('readers', () => {
  it('reads integers in a range; timers stop at the largest setTimeout delay', () => {
    const problems = new Problems();
    expect(readInteger(MAX_TIMER_MS, 't', problems, TIMER)).toBe(MAX_TIMER_MS);
    expect(readInteger(MAX_TIMER_MS + 1, 't', problems, TIMER)).toBeUndefined();
    expect(readInteger(0, 't', problems, TIMER)).toBeUndefined();
    expect(readInteger(1.5, 'p', problems, PORT)).toBeUndefined();
    expect(readInteger(undefined, 'p', problems, PORT)).toBeUndefined();
    expect(problems.list).toEqual([
      't: expected a positive integer <= 2147483647, got 2147483648',
      't: expected a positive integer <= 2147483647, got 0',
      'p: expected an integer 0-65535, got 1.5',
    ]);
  });

  it('reads finite numbers, enums and labels', () => {
    const problems = new Problems();
    expect(readNumber(Number.NaN, 'n', problems, { min: 0 })).toBeUndefined();
    expect(readNumber(0.5, 'r', problems, { min: 0, max: 1 })).toBe(0.5);
    expect(readOneOf('DEBUG', 'l', problems, ['info', 'debug'], { caseInsensitive: true })).toBe(
      'debug',
    );
    expect(readOneOf('loud', 'l', problems, ['info', 'debug'])).toBeUndefined();
    expect(readLabels({ ok: 'v', 'bad-name': 'v', n: 1 }, 'labels', problems)).toEqual({ ok: 'v' });
    expect(problems.list).toEqual([
      'n: expected a finite number >= 0, got NaN',
      'l: expected one of info, debug, got "loud"',
      'labels.bad-name: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__", got "bad-name"',
      'labels.n: expected a string, got 1',
    ]);
  });

  it('reads an options object with known keys, and a non-object as empty', () => {
    const problems = new Problems();
    const reader = OptionReader.of(
      { enabled: true, url: 'https://x', typo: 1 },
      'sec',
      ['enabled', 'url'],
      problems,
    );
    expect(reader.boolean('enabled')).toBe(true);
    expect(reader.url('url')).toBe('https://x');
    expect(OptionReader.of('x', 'other', [], problems).values).toEqual({});
    expect(problems.list).toEqual([
      'sec.typo: unknown option; expected one of enabled, url',
      'other: expected an object, got "x"',
    ]);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    [' Off ', false],
    ['', undefined],
  ])('reads the environment boolean %p as %p', (raw, expected) => {
    const problems = new Problems();
    expect(new EnvReader({ FLAG: raw }, problems).boolean('FLAG')).toBe(expected);
    expect(problems.list).toEqual([]);
  });

  it('names a bad environment variable', () => {
    const problems = new Problems();
    const vars = new EnvReader({ FLAG: 'maybe', N: '1.5', U: 'ftp://x' }, problems);
    expect(vars.boolean('FLAG')).toBeUndefined();
    expect(vars.integer('N', { min: 0 })).toBeUndefined();
    expect(vars.url('U')).toBeUndefined();
    expect(problems.list).toEqual([
      'FLAG (environment): expected true or false, got "maybe"',
      'N (environment): expected an integer >= 0, got "1.5"',
      'U (environment): expected an http(s) URL, got "ftp://x"',
    ]);
  });
});
