import { resolveOptions } from '../config/resolve-options';

const env = { SERVICE_NAME: 'svc', APP_VERSION: '1.0.0' };

describe('errors options', () => {
  it('reads SENTRY_ENABLED, SENTRY_DSN and the sample rates of the seeds', () => {
    const { errors } = resolveOptions(
      {},
      {
        ...env,
        SENTRY_ENABLED: 'true',
        SENTRY_DSN: 'https://key@o1.ingest.sentry.io/42',
        SENTRY_TRACES_SAMPLE_RATE: '1.0',
        SENTRY_PROFILES_SAMPLE_RATE: '0.1',
      },
    );
    expect(errors).toMatchObject({
      enabled: true,
      dsn: 'https://key@o1.ingest.sentry.io/42',
      tracesSampleRate: 1,
      profilesSampleRate: 0.1,
    });
  });

  it('leaves the sample rates unset unless configured: any number turns Sentry tracing on', () => {
    const { errors } = resolveOptions({ errors: { dsn: 'https://key@sentry.example.com/1' } }, env);
    expect(errors.tracesSampleRate).toBeUndefined();
    expect(errors.profilesSampleRate).toBeUndefined();
  });

  it('records request sessions only when asked, by option or SENTRY_REQUEST_SESSIONS', () => {
    expect(resolveOptions({}, env).errors.requestSessions).toBe(false);
    expect(
      resolveOptions({}, { ...env, SENTRY_REQUEST_SESSIONS: 'true' }).errors.requestSessions,
    ).toBe(true);
    expect(
      resolveOptions(
        { errors: { requestSessions: false } },
        { ...env, SENTRY_REQUEST_SESSIONS: 'true' },
      ).errors.requestSessions,
    ).toBe(false);
    expect(() => resolveOptions({}, { ...env, SENTRY_REQUEST_SESSIONS: 'often' })).toThrow(
      'SENTRY_REQUEST_SESSIONS (environment): expected true or false, got "often"',
    );
  });

  it('is disabled without a DSN, and by SENTRY_ENABLED=false even with one', () => {
    expect(resolveOptions({}, env).errors.enabled).toBe(false);
    const off = resolveOptions(
      {},
      { ...env, SENTRY_ENABLED: 'false', SENTRY_DSN: 'https://key@sentry.example.com/1' },
    );
    expect(off.errors).toMatchObject({ enabled: false, dsn: 'https://key@sentry.example.com/1' });
  });

  it('lets options win over the environment', () => {
    const { errors } = resolveOptions(
      { errors: { dsn: 'http://k@127.0.0.1:9000/2', tracesSampleRate: 0.5, enabled: true } },
      { ...env, SENTRY_DSN: 'https://other@sentry.example.com/1', SENTRY_ENABLED: 'false' },
    );
    expect(errors).toMatchObject({
      enabled: true,
      dsn: 'http://k@127.0.0.1:9000/2',
      tracesSampleRate: 0.5,
    });
  });

  it('names every bad field in one error', () => {
    expect(() =>
      resolveOptions(
        { errors: { flushTimeoutMs: -1, severity: 'high', oops: true } as never },
        {
          ...env,
          SENTRY_ENABLED: 'maybe',
          SENTRY_DSN: 'not-a-dsn',
          SENTRY_TRACES_SAMPLE_RATE: '2',
        },
      ),
    ).toThrow(
      new RegExp(
        [
          'errors\\.oops: unknown option',
          'SENTRY_ENABLED \\(environment\\): expected true or false, got "maybe"',
          'SENTRY_DSN \\(environment\\): expected a Sentry DSN like https://<key>@<host>/<project>, got a string \\(not shown\\)',
          'errors\\.flushTimeoutMs: expected an integer 0-2147483647, got -1',
          'SENTRY_TRACES_SAMPLE_RATE \\(environment\\): expected a number between 0 and 1, got "2"',
          'errors\\.severity: expected a function, got "high"',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});

describe('logging options', () => {
  it('reads LOG_LEVEL, case-insensitively', () => {
    expect(resolveOptions({}, { ...env, LOG_LEVEL: 'DEBUG' }).logging.level).toBe('debug');
    expect(
      resolveOptions({ logging: { level: 'warn' } }, { ...env, LOG_LEVEL: 'debug' }).logging.level,
    ).toBe('warn');
    expect(() => resolveOptions({}, { ...env, LOG_LEVEL: 'chatty' })).toThrow(
      'LOG_LEVEL (environment): expected one of fatal, error, warn, info, debug, trace, silent, got "chatty"',
    );
  });
});
