import { ALERT_NAMES } from './monitoring-artifacts-options.interface';
import { resolveArtifactsOptions } from './resolve-artifacts-options';

describe('resolveArtifactsOptions', () => {
  it('applies the defaults', () => {
    expect(resolveArtifactsOptions()).toEqual({
      out: undefined,
      prefix: '',
      service: undefined,
      runbookUrl: undefined,
      alerts: {},
      disabledMetrics: new Set(),
      memoryLimitBytes: 1024 ** 3,
      evaluationInterval: '30s',
      scrapeInterval: '15s',
      // The service the application reports by default: here, this repository's package name.
      scrapeTargets: [{ service: 'nestjs-observability', targets: ['nestjs-observability:9091'] }],
      alertmanagers: ['alertmanager:9093'],
      metricsPath: '/metrics',
      aiNaming: 'default',
    });
  });

  it('derives the default target from SERVICE_NAME, else package.json, as the module does', () => {
    const saved = process.env.SERVICE_NAME;
    try {
      process.env.SERVICE_NAME = 'billing';
      expect(resolveArtifactsOptions().scrapeTargets).toEqual([
        { service: 'billing', targets: ['billing:9091'] },
      ]);
    } finally {
      if (saved === undefined) delete process.env.SERVICE_NAME;
      else process.env.SERVICE_NAME = saved;
    }
  });

  it('scrapes the one service when it is set', () => {
    expect(resolveArtifactsOptions({ service: 'api' }).scrapeTargets).toEqual([
      { service: 'api', targets: ['api:9091'] },
    ]);
  });

  it('keeps valid overrides', () => {
    const resolved = resolveArtifactsOptions({
      prefix: 'luneo_',
      alerts: {
        HighErrorRate: { threshold: 0, for: '1h30m', severity: 'page', enabled: true },
        ErrorRateHigh: { threshold: 1 },
        ServiceDown: { enabled: false, runbookUrl: 'https://r.example.com/down' },
      },
      metrics: { payment_failures_total: { enabled: false }, errors_total: { enabled: true } },
    });
    expect(resolved.alerts).toEqual({
      HighErrorRate: { threshold: 0, for: '1h30m', severity: 'page', enabled: true },
      ErrorRateHigh: { threshold: 1 },
      ServiceDown: { enabled: false, runbookUrl: 'https://r.example.com/down' },
    });
    expect([...resolved.disabledMetrics]).toEqual(['payment_failures_total']);
  });

  it('names every bad field in one error', () => {
    expect(() =>
      resolveArtifactsOptions({
        prefix: '1bad',
        service: '',
        runbookUrl: 'runbooks',
        alerts: {
          HighErrorRate: { threshold: -1, for: '5 minutes' },
          ErrorRateHigh: { threshold: 5 },
          ServiceDown: { threshold: 1 },
          NoSuchAlert: {},
        } as never,
        metrics: { http_requests: { enabled: false }, errors_total: { enabled: 'no' } } as never,
        memoryLimitBytes: -5,
        scrapeTargets: [{ service: 'api' }] as never,
        typo: true,
      } as never),
    ).toThrow(
      [
        'Invalid monitoring artifacts options:',
        '  - typo: unknown option; expected one of out, prefix, service, runbookUrl, alerts, metrics, memoryLimitBytes, evaluationInterval, scrapeInterval, scrapeTargets, alertmanagers, metricsPath, aiNaming',
        '  - prefix: expected a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*, got "1bad"',
        '  - service: expected a non-empty label value without line breaks, got ""',
        '  - runbookUrl: expected an http(s) URL, got "runbooks"',
        '  - memoryLimitBytes: expected a positive integer number of bytes, got -5',
        '  - alerts.HighErrorRate.threshold: expected a finite number >= 0, got -1',
        '  - alerts.HighErrorRate.for: expected a Prometheus duration such as "30s", "5m" or "1h30m", got "5 minutes"',
        '  - alerts.ErrorRateHigh.threshold: expected a ratio between 0 and 1 (0.05 for 5 %), got 5',
        '  - alerts.ServiceDown.threshold: expected no threshold (this alert has none; remove it), got 1',
        `  - alerts.NoSuchAlert: unknown option; expected one of ${ALERT_NAMES.join(', ')}`,
        `  - metrics.http_requests: unknown metric "http_requests"; name a built-in metric without the prefix, as listed in the metrics reference (docs/metrics.md)`,
        '  - metrics.errors_total.enabled: expected a boolean, got "no"',
        '  - scrapeTargets[0].targets: expected an array of "host:port", got undefined',
        'Fix the options of generateMonitoringArtifacts() or the flags of `nestjs-observability generate`.',
      ].join('\n'),
    );
  });

  it('accepts the process metric the memory alert reads', () => {
    expect([
      ...resolveArtifactsOptions({ metrics: { process_resident_memory_bytes: { enabled: false } } })
        .disabledMetrics,
    ]).toEqual(['process_resident_memory_bytes']);
  });
});
