import { resolveOptions } from './resolve-options';

const noEnv = { SERVICE_NAME: 'svc', APP_VERSION: '1.2.3' };

describe('resolveOptions', () => {
  it('applies defaults', () => {
    expect(resolveOptions({}, noEnv)).toEqual({
      service: 'svc',
      environment: 'development',
      version: '1.2.3',
      contexts: { enabled: true },
      metrics: {
        enabled: true,
        port: 9091,
        host: '0.0.0.0',
        path: '/metrics',
        prefix: '',
        defaultLabels: {},
        defaultMetrics: true,
        buckets: {},
        auth: undefined,
        maxSeriesPerMetric: 1000,
      },
      kpi: {
        activeUsersWindowSeconds: 300,
        tokenPricing: undefined,
        tenant: undefined,
        ai: {
          naming: 'default',
          costWindows: [],
          baselineWindows: 24,
          costSpike: { threshold: 2, forMs: 300_000, severity: 'critical' },
        },
      },
      queues: { scrapeTimeoutMs: 1000, bullmq: undefined },
      database: { slowQueryThresholdMs: 500, maxTables: 100, health: undefined },
      cache: { scrapeTimeoutMs: 500, health: undefined },
      alerting: expect.objectContaining({ enabled: true }),
      health: {
        enabled: true,
        paths: { health: '/health', detailed: '/health/detailed', ready: '/ready', live: '/live' },
        timeoutMs: 1000,
        shutdownGracePeriodMs: 0,
        memory: {
          heapUsedThresholdBytes: expect.any(Number),
          rssThresholdBytes: expect.any(Number),
        },
        disk: { path: '/', thresholdPercent: 0.9 },
        eventLoop: { maxLagMs: 1000 },
        queues: { maxWaiting: 1000, maxOldestWaitSeconds: 300 },
        checks: [],
      },
      logging: {
        enabled: true,
        level: 'info',
        levels: {},
        pretty: undefined,
        excludePaths: ['/health', '/ready', '/live', '/metrics'],
        requestIdHeader: 'x-request-id',
        requestLogs: true,
        requestContext: true,
        userContext: expect.any(Function),
        stream: undefined,
        sync: false,
      },
      errors: {
        enabled: false,
        dsn: undefined,
        tracesSampleRate: undefined,
        profilesSampleRate: undefined,
        requestSessions: false,
        reportClientErrors: false,
        shouldReport: undefined,
        severity: undefined,
        flushTimeoutMs: 2000,
      },
      redact: [],
      reports: { enabled: false, prometheusUrl: undefined, path: '/reports', timeoutMs: 10_000 },
      http: {
        enabled: true,
        ignorePaths: ['/health', '/health/detailed', '/ready', '/live', '/metrics', /^\/health\//],
        defaultIgnorePaths: true,
        buckets: undefined,
        requestSizeHistogram: false,
        responseSizeHistogram: false,
        slowRequestThreshold: undefined,
        slowRequestAlert: false,
      },
      tracing: {
        enabled: false,
        url: undefined,
        protocol: 'http/protobuf',
        headers: {},
        serviceName: 'svc',
        resourceAttributes: {},
        sampler: 'parentbased_always_on',
        samplerRatio: 1,
        exportTimeoutMs: 10000,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMs: 5000,
        console: false,
        providers: false,
        collapseAfter: 20,
        instrumentations: {
          http: true,
          express: true,
          fastify: true,
          undici: true,
          pg: true,
          ioredis: true,
        },
        frameworkSpans: false,
      },
    });
  });

  it('resolves the http options and ignores the configured metrics and health paths by default', () => {
    expect(
      resolveOptions(
        { metrics: { path: '/prom' }, health: { paths: { ready: '/readyz', live: '/livez' } } },
        noEnv,
      ).http.ignorePaths,
    ).toEqual(['/health', '/health/detailed', '/readyz', '/livez', '/prom', /^\/health\//]);
    const http = resolveOptions(
      {
        http: {
          enabled: false,
          ignorePaths: ['/ping', /^\/internal/],
          buckets: [0.1, 1],
          requestSizeHistogram: true,
          responseSizeHistogram: true,
        },
      },
      noEnv,
    ).http;
    expect(http).toEqual({
      enabled: false,
      ignorePaths: ['/ping', /^\/internal/],
      defaultIgnorePaths: false,
      buckets: [0.1, 1],
      requestSizeHistogram: true,
      responseSizeHistogram: true,
      slowRequestThreshold: undefined,
      slowRequestAlert: false,
    });
  });

  it('names every invalid http option', () => {
    expect(() =>
      resolveOptions(
        {
          http: {
            enabled: 'yes',
            ignorePaths: ['health'],
            buckets: [1, 0.5],
            requestSizeHistogram: 1,
            ignorePath: [],
          } as never,
        },
        noEnv,
      ),
    ).toThrow(
      [
        '  - http.ignorePath: unknown option; expected one of enabled, ignorePaths, buckets, requestSizeHistogram, responseSizeHistogram, slowRequestThreshold, slowRequestAlert',
        '  - http.ignorePaths: expected an array of paths starting with "/" or RegExps, got ["health"]',
        '  - http.enabled: expected a boolean, got "yes"',
        '  - http.buckets: expected a non-empty array of finite numbers in strictly increasing order, got [1, 0.5]',
        '  - http.requestSizeHistogram: expected a boolean, got 1',
      ].join('\n'),
    );
  });

  it('reads the environment variables of the seeds', () => {
    const resolved = resolveOptions(undefined, {
      SERVICE_NAME: 'bot',
      APP_ENV: 'production',
      NODE_ENV: 'test',
      APP_VERSION: '2.0.0',
      METRICS_PORT: '9100',
      ENABLE_METRICS: 'false',
      METRICS_PREFIX: 'luneo_',
    });
    expect(resolved.service).toBe('bot');
    expect(resolved.environment).toBe('production');
    expect(resolved.version).toBe('2.0.0');
    expect(resolved.metrics.port).toBe(9100);
    expect(resolved.metrics.enabled).toBe(false);
    expect(resolved.metrics.prefix).toBe('luneo_');
  });

  it('falls back to NODE_ENV and to the name in ./package.json', () => {
    const resolved = resolveOptions({}, { NODE_ENV: 'staging' });
    expect(resolved.environment).toBe('staging');
    expect(resolved.service).toBe('nestjs-observability');
  });

  it('lets options win over the environment', () => {
    const resolved = resolveOptions(
      { service: 'api', metrics: { port: 0, enabled: true, prefix: '' } },
      { ...noEnv, METRICS_PORT: '9100', ENABLE_METRICS: 'false', METRICS_PREFIX: 'x_' },
    );
    expect(resolved.service).toBe('api');
    expect(resolved.metrics.port).toBe(0);
    expect(resolved.metrics.enabled).toBe(true);
    expect(resolved.metrics.prefix).toBe('');
  });

  it('fails with one error naming every invalid field and what was expected', () => {
    const attempt = () =>
      resolveOptions(
        {
          service: 42 as unknown as string,
          metrics: {
            port: 70000,
            prefix: '9bad',
            buckets: { method_duration_seconds: [1, 0.5] },
            maxSeriesPerMetric: -1,
            auth: { type: 'bearer', token: '' },
            defaultLabels: { 'bad-name': 'x' },
          },
          kpi: { tokenPricing: { 'gpt-4': { input: -1 } } },
        },
        noEnv,
      );
    expect(attempt).toThrow(
      [
        'Invalid nestjs-observability options:',
        '  - service: expected a non-empty string, got 42',
        '  - metrics.port: expected an integer 0-65535, got 70000',
        '  - metrics.prefix: expected a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*, got "9bad"',
        '  - metrics.defaultLabels.bad-name: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__", got "bad-name"',
        '  - metrics.buckets.method_duration_seconds: expected a non-empty array of finite numbers in strictly increasing order, got [1, 0.5]',
        '  - metrics.auth.token: expected a non-empty string, got an empty string',
        '  - metrics.maxSeriesPerMetric: expected a positive integer, got -1',
        '  - kpi.tokenPricing.gpt-4.input: expected a finite number >= 0, got -1',
      ].join('\n'),
    );
  });

  it('names the environment variable when it is invalid', () => {
    expect(() => resolveOptions({}, { ...noEnv, METRICS_PORT: 'abc' })).toThrow(
      'METRICS_PORT (environment): expected an integer 0-65535, got "abc"',
    );
    expect(() => resolveOptions({}, { ...noEnv, ENABLE_METRICS: 'maybe' })).toThrow(
      'ENABLE_METRICS (environment): expected true or false, got "maybe"',
    );
  });

  it.each([
    [{ metrics: { port: '9091' } }, 'metrics.port: expected an integer 0-65535, got "9091"'],
    [{ metrics: { port: 1.5 } }, 'metrics.port: expected an integer 0-65535, got 1.5'],
    [{ metrics: { enabled: 'yes' } }, 'metrics.enabled: expected a boolean, got "yes"'],
    [
      { metrics: { path: 'metrics' } },
      'metrics.path: expected a path starting with "/", got "metrics"',
    ],
    [{ metrics: 5 }, 'metrics: expected an object, got 5'],
    [{ metrics: { buckets: { x: [] } } }, 'metrics.buckets.x: expected a non-empty array'],
    [{ metrics: { auth: { type: 'digest' } } }, "metrics.auth: expected { type: 'bearer', token }"],
    [
      { kpi: { activeUsersWindowSeconds: 0 } },
      'kpi.activeUsersWindowSeconds: expected a positive number, got 0',
    ],
  ])('rejects %j', (options, message) => {
    expect(() => resolveOptions(options as never, noEnv)).toThrow(message);
  });

  it('flags unknown options, which are almost always typos', () => {
    expect(() => resolveOptions({ metrics: { prot: 9091 } } as never, noEnv)).toThrow(
      'metrics.prot: unknown option; expected one of enabled, port, host, path, prefix, defaultLabels, defaultMetrics, buckets, auth, maxSeriesPerMetric',
    );
    expect(() => resolveOptions({ servce: 'x' } as never, noEnv)).toThrow(
      'servce: unknown option; expected one of service, environment, version, metrics, kpi, alerting, health',
    );
  });

  it('accepts bearer and basic auth', () => {
    expect(
      resolveOptions({ metrics: { auth: { type: 'bearer', token: 't' } } }, noEnv).metrics.auth,
    ).toEqual({
      type: 'bearer',
      token: 't',
    });
    expect(
      resolveOptions({ metrics: { auth: { type: 'basic', username: 'u', password: 'p' } } }, noEnv)
        .metrics.auth,
    ).toEqual({ type: 'basic', username: 'u', password: 'p' });
  });
});
