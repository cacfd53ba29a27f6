import { load } from 'js-yaml';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '../metrics/metric-catalog';
import { generateMonitoringArtifacts } from './generate-monitoring-artifacts';
import {
  ALERT_NAMES,
  type MonitoringArtifactsOptions,
} from './monitoring-artifacts-options.interface';

interface Generated {
  alerts: any;
  recording: any;
  prometheus: any;
  dashboards: any[];
}

async function generate(options: MonitoringArtifactsOptions = {}): Promise<Generated> {
  const { files } = await generateMonitoringArtifacts(options);
  const text = (path: string) => files.find((f) => f.path === path)!.content;
  return {
    alerts: load(text('alerts.yml')),
    recording: load(text('recording-rules.yml')),
    prometheus: load(text('prometheus.yml')),
    dashboards: files
      .filter((f) => f.path.startsWith('grafana/'))
      .map((f) => JSON.parse(f.content)),
  };
}

const rulesOf = (file: any): any[] => file.groups.flatMap((g: any) => g.rules);
const exprsOf = (g: Generated): string[] => [
  ...rulesOf(g.alerts).map((r) => r.expr),
  ...rulesOf(g.recording).map((r) => r.expr),
  ...g.dashboards.flatMap((d) => d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr))),
];

/** Metric names in a PromQL expression: identifiers followed by `{` or `[` or a space. */
const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  'max',
  'or',
  'offset',
  'le',
]);
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)]
    .map((m) => m[1])
    .filter((name) => !PROMQL_WORDS.has(name));
}

describe('generateMonitoringArtifacts', () => {
  it('writes the seeds alerts, grouped by seed, with their thresholds and durations', async () => {
    const { alerts } = await generate();
    expect(
      alerts.groups.map((g: any) => [g.name, g.interval, g.rules.map((r: any) => r.alert)]),
    ).toEqual([
      [
        'service_alerts',
        '30s',
        [
          'HighErrorRate',
          'CriticalErrorRate',
          'HighQueueFailureRate',
          'PaymentFailures',
          'LowGenerationSuccessRate',
          'HighResponseTime',
          'ServiceDown',
        ],
      ],
      ['kpi_alerts', '30s', ['QueueWaitTimeHigh', 'ErrorRateHigh', 'CostSpikeDetected']],
      [
        'api_alerts',
        '30s',
        [
          'HighAPILatencyP95',
          'HighAPILatencyP99',
          'BackgroundJobFailures',
          'HighMemoryUsage',
          'DatabaseConnectionPoolExhausted',
          'DatabaseConnectionFailures',
          'LowCacheHitRate',
        ],
      ],
      ['business_alerts', '30s', ['QuotaExceeded', 'SlowRequests', 'AICostAboveBaseline']],
      ['database_performance', '30s', ['SlowDatabaseQueries', 'DatabaseQueryTimeout']],
    ]);
    const rule = (name: string) => rulesOf(alerts).find((r) => r.alert === name);
    expect(rule('HighErrorRate')).toEqual({
      alert: 'HighErrorRate',
      expr: 'sum by (service) (rate(errors_total[5m])) > 10',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'High error rate detected on {{ $labels.service }}',
        description: 'Error rate is {{ $value | printf "%.2f" }} errors/sec',
      },
    });
    expect(rule('ServiceDown').expr).toBe(
      '(up{service!=""} or label_replace(up{service=""}, "service", "$1", "job", "(.*)")) == 0',
    );
    expect(rule('QueueWaitTimeHigh')).toMatchObject({
      expr: 'max by (service, queue_name) (worker_queue_wait_time_current_seconds) > 60',
      for: '2m',
    });
    expect(rule('ErrorRateHigh').expr).toBe(
      '(sum by (service) (rate(http_requests_total{status_code=~"5.."}[5m])) or sum by (service) (rate(http_requests_total[5m])) * 0) / sum by (service) (rate(http_requests_total[5m])) > 0.01',
    );
    expect(rule('CostSpikeDetected').expr).toBe(
      'sum by (service) (rate(ai_cost_cents_total[1h])) / sum by (service) (rate(ai_cost_cents_total[1d] offset 1h)) > 2',
    );
    expect(rule('HighMemoryUsage').expr).toBe(
      'max by (service, instance) (process_resident_memory_bytes) / 1073741824 > 0.9',
    );
  });

  it('puts the prefix on every metric and the service on every selector', async () => {
    const generated = await generate({ prefix: 'luneo_', service: 'api' });
    const names = exprsOf(generated).flatMap(metricNames);
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((n) => n !== 'up' && !n.startsWith('luneo_'))).toEqual([]);
    // Every selector is scoped: alerts and recording rules to the service, panels to $service.
    for (const rule of [...rulesOf(generated.alerts), ...rulesOf(generated.recording)]) {
      const selectors = rule.expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      // `up` without a service label (a minimal scrape configuration) is scoped by its job.
      for (const selector of selectors) {
        expect(selector).toMatch(
          selector.startsWith('up{service=""') ? /job="api"/ : /service="api"/,
        );
      }
      expect(rule.expr).not.toMatch(/[a-z_]+(total|seconds|bytes|bucket)\[/); // no bare selector
    }
    for (const dashboard of generated.dashboards) {
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const selectors = target.expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g) ?? [];
          expect(selectors.length).toBeGreaterThan(0);
          for (const selector of selectors) {
            expect(selector).toMatch(
              selector.startsWith('up{service=""') ? /job=~"\$service"/ : /service=~"\$service"/,
            );
          }
        }
      }
    }
    expect(generated.recording.groups[0].rules.map((r: any) => r.record)).toContain(
      'service:luneo_generation_success:ratio_rate5m',
    );
  });

  it('reads only metrics of the catalog and the process metrics', async () => {
    const known = new Set([
      ...METRIC_DEFINITIONS.map((d) => d.name),
      'process_resident_memory_bytes',
    ]);
    const names = exprsOf(await generate({ service: 'api' })).flatMap(metricNames);
    const unknown = names
      .filter((name) => name !== 'up')
      .filter((name) => !known.has(name.replace(/_(bucket|sum|count)$/, '')) && !known.has(name));
    expect(unknown).toEqual([]);
  });

  it('never applies a counter function to a gauge, the gauges named *_total included', async () => {
    const generated = await generate({ prefix: 'luneo_' });
    const gauges = METRIC_DEFINITIONS.filter((m) => m.type === 'gauge').map(
      (m) => `luneo_${m.name}`,
    );
    expect(gauges).toEqual(
      expect.arrayContaining(['luneo_active_users_total', 'luneo_active_jobs_total']),
    );
    const misuse = exprsOf(generated).filter((expr) =>
      gauges.some((gauge) =>
        new RegExp(`\\b(rate|irate|increase|resets)\\(${gauge}[{\\[]`).test(expr),
      ),
    );
    expect(misuse).toEqual([]);
  });

  it('gives `up` a service from its job when the target has no service label', async () => {
    const scoped = await generate({ service: 'api' });
    expect(rulesOf(scoped.alerts).find((r) => r.alert === 'ServiceDown').expr).toBe(
      '(up{service!="",service="api"} or ' +
        'label_replace(up{service="",job="api"}, "service", "$1", "job", "(.*)")) == 0',
    );
    const all = await generate();
    expect(rulesOf(all.alerts).find((r) => r.alert === 'ServiceDown').expr).toBe(
      '(up{service!=""} or label_replace(up{service=""}, "service", "$1", "job", "(.*)")) == 0',
    );
  });

  it('answers 0, not nothing, for error ratios before the first error', async () => {
    const { recording, dashboards } = await generate();
    expect(
      rulesOf(recording).find((r) => r.record === 'service:http_requests_errors:ratio_rate5m').expr,
    ).toBe(
      '(sum by (service) (rate(http_requests_total{status_code=~"5.."}[5m])) or ' +
        'sum by (service) (rate(http_requests_total[5m])) * 0) / ' +
        'sum by (service) (rate(http_requests_total[5m]))',
    );
    const overview = dashboards.find((d) => d.title === 'Service Overview');
    const target = (title: string, ref = 'A') =>
      overview.panels.find((p: any) => p.title === title).targets.find((t: any) => t.refId === ref)
        .expr;
    expect(target('Error Rate', 'B')).toBe(
      '(sum(rate(errors_total{service=~"$service",severity="critical"}[5m])) or vector(0))',
    );
    expect(target('HTTP 5xx Ratio')).toBe(
      '(sum (rate(http_requests_total{service=~"$service",status_code=~"5.."}[5m])) or ' +
        'sum (rate(http_requests_total{service=~"$service"}[5m])) * 0) / ' +
        'sum (rate(http_requests_total{service=~"$service"}[5m])) * 100',
    );
  });

  it('escapes the service in PromQL and applies overrides and the runbook URL', async () => {
    const { alerts } = await generate({
      service: 'we"ird\\svc',
      runbookUrl: 'https://runbooks.example.com/alerts/',
      alerts: {
        HighErrorRate: { threshold: 20, for: '10m', severity: 'page' },
        ServiceDown: { runbookUrl: 'https://status.example.com/down' },
        HighMemoryUsage: { enabled: false },
      },
      memoryLimitBytes: 512,
    });
    const rule = (name: string) => rulesOf(alerts).find((r) => r.alert === name);
    expect(rule('HighErrorRate')).toEqual({
      alert: 'HighErrorRate',
      expr: 'sum by (service) (rate(errors_total{service="we\\"ird\\\\svc"}[5m])) > 20',
      for: '10m',
      labels: { severity: 'page' },
      annotations: {
        summary: 'High error rate detected on {{ $labels.service }}',
        description: 'Error rate is {{ $value | printf "%.2f" }} errors/sec',
        runbook_url: 'https://runbooks.example.com/alerts/HighErrorRate',
      },
    });
    expect(rule('ServiceDown').annotations.runbook_url).toBe('https://status.example.com/down');
    expect(rule('HighMemoryUsage')).toBeUndefined();
  });

  it('leaves out every alert, recording rule and panel that reads a disabled metric', async () => {
    const all = await generate();
    const some = await generate({
      metrics: {
        payment_failures_total: { enabled: false },
        http_requests_total: { enabled: false },
      },
    });
    const names = (g: Generated) => rulesOf(g.alerts).map((r) => r.alert);
    expect(names(all).filter((n) => !names(some).includes(n))).toEqual([
      'PaymentFailures',
      'ErrorRateHigh',
      'SlowRequests',
    ]);
    expect(exprsOf(some).join('\n')).not.toMatch(/payment_failures_total|http_requests_total/);
    const titles = (g: Generated) => g.dashboards.flatMap((d) => d.panels.map((p: any) => p.title));
    expect(titles(all).filter((t) => !titles(some).includes(t))).toEqual([
      'Request Rate',
      'HTTP 5xx Ratio',
      'Payment Success Rate',
    ]);
    expect(rulesOf(all.recording).length - rulesOf(some.recording).length).toBe(3);
    expect(ALERT_NAMES).toHaveLength(22);
    // A panel that only falls back on a disabled metric stays, without the fallback.
    const panel = (g: Generated, title: string) =>
      g.dashboards.flatMap((d) => d.panels).find((p: any) => p.title === title).targets[0].expr;
    expect(panel(some, 'Requests In Progress')).toBe(
      'sum by (route) (http_requests_in_progress{service=~"$service"})',
    );
    const noBacklog = await generate({ metrics: { queue_jobs: { enabled: false } } });
    expect(panel(noBacklog, 'Active Jobs')).toBe(
      'sum by (queue_name) (active_jobs_total{service=~"$service"})',
    );
    expect(panel(all, 'Active Jobs')).toBe(
      'max by (queue_name) (queue_jobs{service=~"$service",state="active"}) or ' +
        'sum by (queue_name) (active_jobs_total{service=~"$service"})',
    );
  });

  it('builds Grafana 10 dashboards with a Prometheus datasource and a service variable', async () => {
    const { dashboards } = await generate({ prefix: 'luneo_', service: 'api' });
    expect(dashboards.map((d) => [d.title, d.uid])).toEqual([
      ['Service Overview', 'nestjs-obs-overview-luneo'],
      ['Business KPIs', 'nestjs-obs-business-kpis-luneo'],
      ['Queue Monitoring', 'nestjs-obs-queues-luneo'],
      ['AI Cost', 'nestjs-obs-ai-cost-luneo'],
      ['Money, Usage and AI Cost Windows', 'nestjs-obs-money-usage-luneo'],
    ]);
    for (const dashboard of dashboards) {
      expect(dashboard).toMatchObject({ schemaVersion: 39, id: null, editable: true });
      const [datasource, service] = dashboard.templating.list;
      expect(datasource).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      expect(service).toMatchObject({
        name: 'service',
        type: 'query',
        datasource: { type: 'prometheus', uid: '${datasource}' },
        definition: 'label_values(service)',
        includeAll: true,
        multi: true,
        current: { text: ['api'], value: ['api'] },
      });
      const ids = dashboard.panels.map((p: any) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of dashboard.panels) {
        if (panel.type === 'row') continue; // a row heading: no query
        expect(['stat', 'timeseries', 'gauge', 'barchart']).toContain(panel.type);
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        expect(panel.targets.length).toBeGreaterThan(0);
        panel.targets.forEach((t: any, i: number) =>
          expect(t).toMatchObject({ refId: 'ABCDEFGH'[i], datasource: panel.datasource }),
        );
      }
    }
    const gauge = dashboards[1].panels.find((p: any) => p.title === 'Generation Success Rate');
    expect(gauge.type).toBe('gauge');
    expect(gauge.fieldConfig.defaults).toMatchObject({
      unit: 'percent',
      min: 0,
      max: 100,
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'red', value: null },
          { color: 'yellow', value: 90 },
          { color: 'green', value: 95 },
        ],
      },
    });
    // Without a service the variable defaults to all of them.
    const [all] = (await generate()).dashboards;
    expect(all.templating.list[1].current).toEqual({
      selected: true,
      text: ['All'],
      value: ['$__all'],
    });
  });

  it('writes prometheus.yml: one job per service, Alertmanager and the rule files', async () => {
    expect((await generate()).prometheus).toEqual({
      global: { scrape_interval: '15s', evaluation_interval: '15s' },
      scrape_configs: ['nestjs-observability'].map((service) => ({
        job_name: service,
        honor_labels: true,
        static_configs: [{ targets: [`${service}:9091`], labels: { service } }],
      })),
      alerting: { alertmanagers: [{ static_configs: [{ targets: ['alertmanager:9093'] }] }] },
      rule_files: ['alerts.yml', 'recording-rules.yml'],
    });
    const custom = await generate({
      scrapeTargets: [{ service: 'api', targets: ['10.0.0.1:9464', '10.0.0.2:9464'] }],
      alertmanagers: [],
      metricsPath: '/internal/metrics',
      scrapeInterval: '30s',
    });
    expect(custom.prometheus).toEqual({
      global: { scrape_interval: '30s', evaluation_interval: '30s' },
      scrape_configs: [
        {
          job_name: 'api',
          metrics_path: '/internal/metrics',
          honor_labels: true,
          static_configs: [
            { targets: ['10.0.0.1:9464', '10.0.0.2:9464'], labels: { service: 'api' } },
          ],
        },
      ],
      rule_files: ['alerts.yml', 'recording-rules.yml'],
    });
  });

  it('writes the files into out, and nothing without it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'artifacts-spec-')), 'monitoring');
    try {
      const { files, written } = await generateMonitoringArtifacts({ out });
      expect(files.map((f) => f.path)).toEqual([
        'alerts.yml',
        'recording-rules.yml',
        'prometheus.yml',
        'grafana/service-overview.json',
        'grafana/business-kpis.json',
        'grafana/queue-monitoring.json',
        'grafana/ai-cost.json',
        'grafana/money-and-usage.json',
      ]);
      expect(written).toEqual(files.map((f) => join(out, f.path)));
      for (const file of files)
        expect(readFileSync(join(out, file.path), 'utf8')).toBe(file.content);
      expect(files[0].content.startsWith('# Generated by nestjs-observability')).toBe(true);
      expect((await generateMonitoringArtifacts()).written).toEqual([]);
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  it('rejects bad options before writing anything', async () => {
    await expect(
      generateMonitoringArtifacts({ alerts: { HighErrorRate: { threshold: -1 } } }),
    ).rejects.toThrow('alerts.HighErrorRate.threshold: expected a finite number >= 0, got -1');
  });
});
