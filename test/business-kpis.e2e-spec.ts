import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AlertingService,
  CustomMetricsService,
  generateMonitoringArtifacts,
  ObservabilityModule,
  type ObservabilityModuleOptions,
} from 'nestjs-observability';
import express from 'express';
import {
  createExpressMetricsMiddleware,
  createMonitoring,
  type Monitoring,
  type MonitoringOptions,
} from 'nestjs-observability/core';
import { FakeClock } from './utils/fake-clock';
import { send } from './utils/http-client';
import { LogCapture } from './utils/log-capture';
import { describeWithBinaries, findBinary, PrometheusServer, runTool } from './utils/prometheus';

const base = (extra: MonitoringOptions = {}): MonitoringOptions => ({
  service: 'shop',
  environment: 'test',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
  logging: { stream: new LogCapture() },
  ...extra,
});

/** Sample lines of the families whose name starts with one of `names`, in exposition order. */
async function samples(source: { getMetrics(): Promise<string> }, ...names: string[]) {
  const text = await source.getMetrics();
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && names.some((n) => line.startsWith(n)));
}

/** What both doors are driven with: money, subscriptions, usage, quotas and bad amounts. */
function drive(metrics: Pick<CustomMetricsService, 'trackKPI' | 'trackRevenue' | 'setQuota'>) {
  for (const currency of ['EUR', 'USD', 'GBP']) {
    metrics.trackRevenue({ amount: 0.1, currency, planType: 'pro' });
    metrics.trackRevenue({ amount: '0.2', currency, planType: 'pro' });
  }
  metrics.trackKPI({ type: 'revenue', data: { amount: 29.99, currency: 'usd', planType: 'pro' } });
  metrics.trackRevenue({ amountMinor: 1500, currency: 'JPY', planType: 'starter' });
  metrics.trackRevenue({ amount: '1.005', currency: 'KWD', planType: 'starter' });
  metrics.trackRevenue({ amount: '2.010', currency: 'KWD', planType: 'starter' });
  // Dropped and counted, never thrown:
  metrics.trackRevenue({ amount: -5, currency: 'EUR', planType: 'pro' });
  metrics.trackRevenue({ amount: Number.NaN, currency: 'EUR', planType: 'pro' });
  metrics.trackRevenue({ amount: 0.1 + 0.2, currency: 'EUR', planType: 'pro' });
  metrics.trackRevenue({ amount: '1.5', currency: 'JPY', planType: 'pro' });
  metrics.trackRevenue({ amount: '10', currency: 'euro', planType: 'pro' });
  metrics.trackRevenue(null as never);
  metrics.trackKPI({ type: 'subscription_started', data: { planType: 'pro' } });
  metrics.trackKPI({ type: 'subscription_started', data: { planType: 'pro' } });
  metrics.trackKPI({ type: 'subscription_cancelled', data: { planType: 'pro' } });
  metrics.trackKPI({ type: 'subscriptions_active', data: { planType: 'pro', count: 41 } });
  metrics.trackKPI({ type: 'feature_usage', data: { feature: 'pdf_export' } });
  metrics.trackKPI({ type: 'feature_usage', data: { feature: 'pdf_export', count: 2 } });
  metrics.trackKPI({ type: 'usage', data: { metricType: 'signatures', amount: 5 } });
  metrics.setQuota({ metricType: 'documents', planType: 'pro', used: 930, limit: 1000 });
  metrics.setQuota({ metricType: 'documents', planType: 'free', used: -1, limit: 10 });
}

const EXPECTED = [
  // -5, NaN, 0.1 + 0.2 as a float, 1.5 JPY; "euro" and a missing currency; a used quota of -1
  'observability_dropped_events_total{reason="invalid_amount",service="shop"} 4',
  'observability_dropped_events_total{reason="invalid_currency",service="shop"} 2',
  'observability_dropped_events_total{reason="invalid_value",service="shop"} 1',
  'revenue_total{plan_type="pro",currency="EUR",service="shop"} 0.3',
  'revenue_total{plan_type="pro",currency="USD",service="shop"} 30.29',
  'revenue_total{plan_type="pro",currency="GBP",service="shop"} 0.3',
  'revenue_total{plan_type="starter",currency="JPY",service="shop"} 1500',
  'revenue_total{plan_type="starter",currency="KWD",service="shop"} 3.015',
  'revenue_minor_units_total{plan_type="pro",currency="EUR",service="shop"} 30',
  'revenue_minor_units_total{plan_type="pro",currency="USD",service="shop"} 3029',
  'revenue_minor_units_total{plan_type="pro",currency="GBP",service="shop"} 30',
  'revenue_minor_units_total{plan_type="starter",currency="JPY",service="shop"} 1500',
  'revenue_minor_units_total{plan_type="starter",currency="KWD",service="shop"} 3015',
  'subscriptions_started_total{plan_type="pro",service="shop"} 2',
  'subscriptions_cancelled_total{plan_type="pro",service="shop"} 1',
  'subscriptions_active{plan_type="pro",service="shop"} 41',
  'feature_usage_total{feature="pdf_export",service="shop"} 3',
  'usage_total{metric_type="signatures",service="shop"} 5',
  'quota_used{metric_type="documents",plan_type="pro",service="shop"} 930',
  'quota_limit{metric_type="documents",plan_type="pro",service="shop"} 1000',
  'quota_utilization{metric_type="documents",plan_type="pro",service="shop"} 93',
];
const FAMILIES = [
  'revenue_',
  'subscriptions_',
  'feature_usage',
  'usage_total',
  'quota_',
  'observability_dropped',
];

describe('business KPIs', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  const monitor = (options: MonitoringOptions): Monitoring => {
    const monitoring = createMonitoring(options);
    closers.push(() => monitoring.close());
    return monitoring;
  };

  it('sums revenue exactly in minor units in several currencies, drops and counts bad amounts (core door)', async () => {
    const monitoring = monitor(base());
    drive(monitoring.metrics);
    expect(await samples(monitoring.metrics, ...FAMILIES)).toEqual(EXPECTED);
  });

  it('records the same series through the Nest module', async () => {
    @Module({ imports: [ObservabilityModule.forRoot(base() as ObservabilityModuleOptions)] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    closers.push(() => app.close());
    const metrics = app.get(CustomMetricsService);
    drive(metrics);
    expect(await samples(metrics, ...FAMILIES)).toEqual(EXPECTED);
  });

  it('registers nothing until the first event, so applications without KPIs expose none', async () => {
    const monitoring = monitor(base());
    expect(await monitoring.metrics.getMetrics()).not.toMatch(
      /revenue|subscriptions_|feature_usage|quota_|usage_total|ai_cost_(current|baseline)|slow_/,
    );
  });

  it('adds the opt-in tenant label, bounded: tenants past kpi.tenant.maxValues fold into __overflow__', async () => {
    const monitoring = monitor(base({ kpi: { tenant: { label: 'workspace_id', maxValues: 2 } } }));
    const m = monitoring.metrics;
    m.trackRevenue({ amount: '10', currency: 'EUR', planType: 'pro', tenantId: 'a' });
    m.trackFeatureUsage('export', 1, { tenantId: 'b' });
    m.trackUsage('api_calls', 7, { tenantId: 'c' });
    m.trackFeatureUsage('export', 1, { tenantId: 'a' });
    m.trackFeatureUsage('export');
    m.setQuota({ metricType: 'seats', planType: 'pro', used: 9, limit: 10, tenantId: 'd' });
    expect(
      await samples(
        m,
        'revenue_total',
        'feature_usage',
        'usage_total',
        'quota_util',
        'observability_label',
      ),
    ).toEqual([
      'observability_label_overflow_total{metric="usage_total",service="shop"} 1',
      'observability_label_overflow_total{metric="quota_utilization",service="shop"} 1',
      'revenue_total{plan_type="pro",currency="EUR",workspace_id="a",service="shop"} 10',
      'feature_usage_total{feature="export",workspace_id="b",service="shop"} 1',
      'feature_usage_total{feature="export",workspace_id="a",service="shop"} 1',
      'feature_usage_total{feature="export",service="shop"} 1',
      'usage_total{metric_type="api_calls",workspace_id="__overflow__",service="shop"} 7',
      'quota_utilization{metric_type="seats",plan_type="pro",workspace_id="__overflow__",service="shop"} 90',
    ]);
  });

  it('removes the utilization of a quota whose limit drops to 0', async () => {
    const monitoring = monitor(base());
    const quota = { metricType: 'seats', planType: 'team' };
    monitoring.metrics.setQuota({ ...quota, used: 3, limit: 4 });
    expect(await samples(monitoring.metrics, 'quota_utilization')).toEqual([
      'quota_utilization{metric_type="seats",plan_type="team",service="shop"} 75',
    ]);
    // Set alike by every worker of a cluster from the database: merged with max, not summed.
    expect((monitoring.registry.getSingleMetric('quota_utilization') as any).aggregator).toBe(
      'max',
    );
    monitoring.metrics.setQuota({ ...quota, used: 3, limit: 0 });
    expect(await samples(monitoring.metrics, 'quota_')).toEqual([
      'quota_used{metric_type="seats",plan_type="team",service="shop"} 3',
      'quota_limit{metric_type="seats",plan_type="team",service="shop"} 0',
    ]);
  });

  it('rejects bad kpi options at boot, naming each field', () => {
    expect(() =>
      createMonitoring(
        base({
          kpi: {
            tenant: { label: 'org' as never, maxValues: 0 },
            ai: { naming: 'luneo' as never, costWindows: ['1 hour'], costSpike: { threshold: 0 } },
          },
          http: { slowRequestThreshold: -1 },
        }),
      ),
    ).toThrow(
      /kpi\.tenant\.label[\s\S]*kpi\.tenant\.maxValues[\s\S]*kpi\.ai\.costWindows[\s\S]*kpi\.ai\.costSpike\.threshold[\s\S]*kpi\.ai\.naming[\s\S]*http\.slowRequestThreshold/,
    );
  });
});

describe('AI metrics under the OpenAI names', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('records luneo_openai_* with metrics.prefix "luneo_" and kpi.ai.naming "openai"; the default keeps ai_*', async () => {
    const openai = createMonitoring(
      base({
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false, prefix: 'luneo_' },
        kpi: { ai: { naming: 'openai' } },
      }),
    );
    const plain = createMonitoring(base());
    closers.push(
      () => openai.close(),
      () => plain.close(),
    );
    for (const m of [openai.metrics, plain.metrics]) {
      m.trackAIRequest({
        provider: 'openai',
        model: 'dall-e-3',
        operation: 'image_generation',
        durationSeconds: 4,
        status: 'success',
        costCents: 8,
      });
      m.trackAIRequest({
        provider: 'openai',
        model: 'dall-e-3',
        operation: 'image_generation',
        durationSeconds: 0.3,
        status: 'error',
        errorType: 'rate_limit',
        costCents: 0,
      });
    }
    const text = await openai.metrics.getMetrics();
    expect(text).toContain('# TYPE luneo_openai_cost_cents gauge');
    expect(text).not.toMatch(/luneo_ai_/);
    expect(
      await samples(
        openai.metrics,
        'luneo_openai_requests_total',
        'luneo_openai_requests_error_total',
        'luneo_openai_cost_cents',
        'luneo_openai_request_duration_seconds_count',
      ),
    ).toEqual([
      'luneo_openai_request_duration_seconds_count{service="shop",model="dall-e-3",operation="image_generation",status="success"} 1',
      'luneo_openai_request_duration_seconds_count{service="shop",model="dall-e-3",operation="image_generation",status="error"} 1',
      'luneo_openai_requests_total{model="dall-e-3",operation="image_generation",service="shop"} 2',
      'luneo_openai_requests_error_total{model="dall-e-3",operation="image_generation",error_type="rate_limit",service="shop"} 1',
      'luneo_openai_cost_cents{model="dall-e-3",operation="image_generation",service="shop"} 8',
    ]);
    expect(await samples(plain.metrics, 'ai_requests_total', 'ai_cost_cents_total')).toEqual([
      'ai_requests_total{provider="openai",model="dall-e-3",operation="image_generation",status="success",service="shop"} 1',
      'ai_requests_total{provider="openai",model="dall-e-3",operation="image_generation",status="error",service="shop"} 1',
      'ai_cost_cents_total{provider="openai",model="dall-e-3",operation="image_generation",service="shop"} 8',
    ]);
  });

  it('drops a negative or non-finite cost and a missing event instead of lowering openai_cost_cents', async () => {
    const monitoring = createMonitoring(base({ kpi: { ai: { naming: 'openai' } } }));
    closers.push(() => monitoring.close());
    const call = { provider: 'openai', model: 'gpt-4', operation: 'chat', durationSeconds: 1 };
    monitoring.metrics.trackAIRequest({ ...call, status: 'success', costCents: 5 });
    monitoring.metrics.trackAIRequest({ ...call, status: 'success', costCents: -3 });
    monitoring.metrics.trackAIRequest({ ...call, status: 'success', costCents: Number.NaN });
    monitoring.metrics.trackAIRequest(null as never);
    expect(await samples(monitoring.metrics, 'openai_cost_cents', 'observability_dropped')).toEqual(
      [
        'observability_dropped_events_total{reason="invalid_value",service="shop"} 2',
        'observability_dropped_events_total{reason="invalid_kpi",service="shop"} 1',
        'openai_cost_cents{model="gpt-4",operation="chat",service="shop"} 5',
      ],
    );
  });

  it('exposes cost per window and its baseline, and raises CostSpikeDetected when the cost stays above 2x the baseline for 5 minutes', async () => {
    const HOUR = 3_600_000;
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 10));
    const monitoring = createMonitoring(
      base({
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false, prefix: 'luneo_' },
        kpi: { ai: { naming: 'openai', costWindows: ['1h', '24h'] } },
        alerting: { clock },
      }),
    );
    closers.push(() => monitoring.close());
    const spend = (costCents: number) =>
      monitoring.metrics.trackAIRequest({
        provider: 'openai',
        model: 'gpt-4',
        operation: 'chat',
        durationSeconds: 1,
        status: 'success',
        costCents,
      });
    spend(100);
    clock.advance(HOUR); // 11:00: the 10:00 window (100 cents) is the 1h baseline
    spend(150);
    expect(
      await samples(monitoring.metrics, 'luneo_ai_cost_current_cents', 'luneo_ai_cost_baseline'),
    ).toEqual([
      'luneo_ai_cost_current_cents{time_window="1h",service="shop"} 150',
      'luneo_ai_cost_current_cents{time_window="24h",service="shop"} 250',
      'luneo_ai_cost_baseline_cents{time_window="1h",service="shop"} 100',
    ]);
    clock.advance(10 * 60_000);
    expect(monitoring.alerts.list(true)).toEqual([]); // 150 <= 2 x 100
    spend(60); // 210 > 200 at 11:10
    clock.advance(5 * 60_000 - 1);
    expect(monitoring.alerts.list(true)).toEqual([]);
    clock.advance(1);
    expect(monitoring.alerts.list(true)).toMatchObject([
      {
        name: 'CostSpikeDetected',
        severity: 'critical',
        summary: 'AI cost 2.10 USD over 1h is 2.1x the baseline 1.00 USD',
        annotations: { current_cost: '2.1', baseline_cost: '1' },
      },
    ]);
  });
});

@Controller()
class SlowController {
  @Get('slow/:id')
  async slow(): Promise<string> {
    await sleep(1100);
    return 'late';
  }

  @Get('fast')
  fast(): string {
    return 'ok';
  }
}

describe.each([
  ['Express', ExpressAdapter],
  ['Fastify', FastifyAdapter],
] as const)('slow requests on %s', (_name, Adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('SLOW_REQUEST_THRESHOLD counts slow_requests_total{route}, logs a warning with request id, route and duration, and alerts', async () => {
    const capture = new LogCapture();
    const saved = process.env.SLOW_REQUEST_THRESHOLD;
    process.env.SLOW_REQUEST_THRESHOLD = '1.0';
    try {
      @Module({
        imports: [
          ObservabilityModule.forRoot({
            service: 'shop',
            metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
            logging: { stream: capture },
            http: { slowRequestAlert: true },
          }),
        ],
        controllers: [SlowController],
      })
      class AppModule {}
      app = await NestFactory.create(AppModule, new Adapter(), { logger: false });
    } finally {
      if (saved === undefined) delete process.env.SLOW_REQUEST_THRESHOLD;
      else process.env.SLOW_REQUEST_THRESHOLD = saved;
    }
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    expect((await send(url, 'GET', '/fast')).status).toBe(200);
    const slow = await send(url, 'GET', '/slow/42', { headers: { 'x-request-id': 'req-slow-1' } });
    expect(slow.status).toBe(200);
    const metrics = app.get(CustomMetricsService);
    // The response's close event ends the measurement; wait for it to be recorded.
    for (
      let i = 0;
      i < 100 && !(await metrics.getMetrics()).includes('slow_requests_total{');
      i++
    ) {
      await sleep(10);
    }
    expect(await samples(metrics, 'slow_requests_total')).toEqual([
      'slow_requests_total{route="/slow/:id",service="shop"} 1',
    ]);
    const warnings = capture.lines.filter((line) => line.context === 'SlowRequest');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 'warn',
      request_id: 'req-slow-1',
      method: 'GET',
      route: '/slow/:id',
      status_code: 200,
      threshold_seconds: 1,
    });
    expect(warnings[0].duration_seconds).toBeGreaterThanOrEqual(1);
    expect(warnings[0].msg).toMatch(
      /^Slow request: GET \/slow\/:id took [\d.]+s \(http\.slowRequestThreshold 1s\)$/,
    );
    expect(app.get(AlertingService).list(true)).toMatchObject([
      {
        name: 'SlowRequest',
        severity: 'warning',
        labels: { method: 'GET', route: '/slow/:id' },
        annotations: { request_id: 'req-slow-1', status_code: '200' },
      },
    ]);
  });
});

describe('slow requests through the core door', () => {
  it('http.slowRequestThreshold works with createExpressMetricsMiddleware on a plain Express app', async () => {
    const capture = new LogCapture();
    const monitoring = createMonitoring(
      base({
        logging: { stream: capture },
        http: { slowRequestThreshold: 0.5, slowRequestAlert: true },
      }),
    );
    const app = express();
    app.use(createExpressMetricsMiddleware({ monitoring }));
    app.get('/exports/:id', async (_req, res) => {
      await sleep(600);
      res.send('done');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const response = await send(url, 'GET', '/exports/7', {
        headers: { 'x-request-id': 'export-7' },
      });
      expect(response.status).toBe(200);
      for (
        let i = 0;
        i < 100 && !(await monitoring.metrics.getMetrics()).includes('slow_requests_total{');
        i++
      ) {
        await sleep(10);
      }
      expect(await samples(monitoring.metrics, 'slow_requests_total')).toEqual([
        'slow_requests_total{route="/exports/:id",service="shop"} 1',
      ]);
      expect(capture.lines.filter((line) => line.context === 'SlowRequest')).toMatchObject([
        { level: 'warn', request_id: 'export-7', route: '/exports/:id', threshold_seconds: 0.5 },
      ]);
      const [alert] = monitoring.alerts.list(true);
      expect(alert).toMatchObject({
        name: 'SlowRequest',
        labels: { method: 'GET', route: '/exports/:id' },
        annotations: { request_id: 'export-7' },
      });
      expect(alert.summary).toMatch(
        /^GET \/exports\/:id took [\d.]+s, above http\.slowRequestThreshold 0\.5s$/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await monitoring.close();
    }
  });
});

describeWithBinaries(['promtool'], 'the business alerts under promtool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'business-alerts-'));
    await generateMonitoringArtifacts({
      out: dir,
      prefix: 'luneo_',
      service: 'api',
      runbookUrl: 'https://runbooks.example.com/alerts',
    });
    copyFileSync(
      join(__dirname, 'prometheus', 'business-alerts.test.yml'),
      join(dir, 'business-alerts.test.yml'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fire above their thresholds, stay silent at them, and wait for their `for` (promtool test rules)', async () => {
    const result = await runTool(
      findBinary('promtool')!,
      ['test', 'rules', 'business-alerts.test.yml'],
      {
        cwd: dir,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('Unit Testing:  business-alerts.test.yml\n  SUCCESS\n\n');
    expect(result.code).toBe(0);
  });

  it('fail the same unit tests when the quota is below its threshold (the tests are not vacuous)', async () => {
    const tests = readFileSync(join(dir, 'business-alerts.test.yml'), 'utf8');
    writeFileSync(join(dir, 'below.test.yml'), tests.replace("values: '93x40'", "values: '89x40'"));
    const result = await runTool(findBinary('promtool')!, ['test', 'rules', 'below.test.yml'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('alertname: QuotaExceeded');
  });

  it('write rules and recording rules promtool accepts', async () => {
    const result = await runTool(
      findBinary('promtool')!,
      ['check', 'rules', 'alerts.yml', 'recording-rules.yml'],
      { cwd: dir },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const alerts = readFileSync(join(dir, 'alerts.yml'), 'utf8');
    expect(alerts).toContain('- name: business_alerts');
    expect(alerts).toContain(
      `expr: 'sum by (service, time_window) (luneo_ai_cost_current_cents{service="api"}) / sum by (service, time_window) (luneo_ai_cost_baseline_cents{service="api"}) > 2'`,
    );
    const recording = readFileSync(join(dir, 'recording-rules.yml'), 'utf8');
    expect(recording).toContain('record: service_currency:luneo_revenue:increase1h');
    expect(recording).toContain('record: service_route:luneo_slow_requests:ratio_rate5m');
  });

  it('fire CostSpikeDetected on luneo_openai_cost_cents with aiNaming "openai", and stay silent on a steady spend', async () => {
    const openai = mkdtempSync(join(tmpdir(), 'openai-cost-'));
    try {
      await generateMonitoringArtifacts({
        out: openai,
        prefix: 'luneo_',
        service: 'api',
        aiNaming: 'openai',
        runbookUrl: 'https://runbooks.example.com/alerts',
      });
      copyFileSync(
        join(__dirname, 'prometheus', 'openai-cost.test.yml'),
        join(openai, 'openai-cost.test.yml'),
      );
      const result = await runTool(
        findBinary('promtool')!,
        ['test', 'rules', 'openai-cost.test.yml'],
        {
          cwd: openai,
        },
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('Unit Testing:  openai-cost.test.yml\n  SUCCESS\n\n');
    } finally {
      rmSync(openai, { recursive: true, force: true });
    }
  });
});

describeWithBinaries(['prometheus'], 'a real Prometheus scraping the business KPIs', () => {
  it('reads qes_revenue_total as the exact decimal, the other KPIs under their qes_ names, and holds QuotaExceeded pending', async () => {
    const monitoring = createMonitoring(
      base({ metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false, prefix: 'qes_' } }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'business-prometheus-'));
    let prometheus: PrometheusServer | undefined;
    try {
      await monitoring.startMetricsServer();
      const m = monitoring.metrics;
      m.trackRevenue({ amount: 0.1, currency: 'EUR', planType: 'professional' });
      m.trackRevenue({ amount: 0.2, currency: 'EUR', planType: 'professional' });
      m.trackRevenue({ amount: '29.99', currency: 'usd', planType: 'professional' });
      m.trackRevenue({ amountMinor: 1500, currency: 'JPY', planType: 'starter' });
      m.setActiveSubscriptions('professional', 41);
      m.trackUsage('signatures', 1250);
      m.setQuota({ metricType: 'documents', planType: 'professional', used: 950, limit: 1000 });
      await generateMonitoringArtifacts({
        out: dir,
        prefix: 'qes_',
        scrapeTargets: [{ service: 'shop', targets: [`127.0.0.1:${monitoring.metricsPort}`] }],
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        alertmanagers: [],
      });
      prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
      const revenue = await prometheus.waitFor(
        'qes_revenue_total',
        (samples) => samples.length === 3,
      );
      expect(
        revenue.map((s) => `${s.metric.plan_type} ${s.metric.currency} ${s.value}`).sort(),
      ).toEqual(['professional EUR 0.3', 'professional USD 29.99', 'starter JPY 1500']);
      expect(await prometheus.value('qes_revenue_minor_units_total{currency="EUR"}')).toBe(30);
      expect(await prometheus.value('qes_subscriptions_active{plan_type="professional"}')).toBe(41);
      expect(await prometheus.value('qes_usage_total{metric_type="signatures"}')).toBe(1250);
      expect(await prometheus.value('qes_quota_utilization{metric_type="documents"}')).toBe(95);
      await prometheus.waitFor('ALERTS{alertname="QuotaExceeded"}', (s) => s.length === 1);
      const alerts = await prometheus.api('/api/v1/alerts');
      expect(
        alerts.data.alerts.map((a: any) => [a.labels.alertname, a.labels.severity, a.state]),
      ).toEqual([['QuotaExceeded', 'info', 'pending']]);
    } finally {
      await prometheus?.stop();
      await monitoring.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
