import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomMetricsService, ReportService } from 'nestjs-observability';
import { createMonitoring } from '../lib/core';
import { MetricsRegistry } from '../lib/metrics/metrics-registry';
import { main } from '../lib/monitoring-artifacts/generate.command';
import { reportsToCsv } from '../lib/reports/report-csv';
import { AppModule } from '../sample-app/src/app.module';
import { freePort } from './utils/free-port';
import { ADAPTERS } from './utils/http-apps';
import { metricsUrl } from './utils/metrics-client';
import { describeWithBinaries, PrometheusServer } from './utils/prometheus';
import { ScrapeGate } from './utils/scrape-gate';

/**
 * The report API and the `report` command against a real Prometheus that scrapes the sample
 * app with the README's minimal scrape configuration, after traffic whose every number the
 * test knows; and the same routes without Prometheus, answered from the process.
 */

const TOKEN = 'reports-test-token-0123456789';
const SERVICE = 'sample-api';

/** Boots the sample app with its metrics server on a free port and `env` applied. */
async function bootSampleApp(
  env: Record<string, string>,
  adapter: (typeof ADAPTERS)[number][1] = ADAPTERS[0][1],
): Promise<INestApplication> {
  const saved = process.env;
  process.env = { ...saved, METRICS_PORT: '0', ...env };
  // Settings of the developer's shell must not change metric names, targets or tokens.
  for (const name of ['METRICS_PREFIX', 'METRICS_HOST', 'ENABLE_METRICS', 'PROMETHEUS_URL']) {
    if (!(name in env)) delete process.env[name];
  }
  if (!('ALERT_ADMIN_TOKEN' in env)) delete process.env.ALERT_ADMIN_TOKEN;
  try {
    const app = await NestFactory.create(AppModule, adapter() as never, { logger: false });
    await app.listen(0, '127.0.0.1');
    return app;
  } finally {
    process.env = saved;
  }
}

/** A user's traffic: what the reports must count. */
async function drive(base: string) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const chats = [
    await post('/bot/messages', { userId: 'alice', text: 'Hello there, bot!' }),
    await post('/bot/messages', { userId: 'bob', text: 'This one will fail' }),
    await post('/bot/messages', { userId: 'carol', text: 'Summarise the news, please.' }),
    await post('/bot/messages', { userId: 'dave', text: 'Tell me a story.' }),
  ];
  const pay = (userId: string, plan: string) =>
    post('/payments', { userId, plan, paymentMethod: 'card', amount: 9.99 });
  const payments = [
    await pay('alice', 'premium'),
    await pay('bob', 'premium'),
    await pay('erin', 'fail-me'),
  ];
  expect(chats.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  expect(payments.map((r) => r.status)).toEqual([201, 201, 402]);
  const ok = chats.filter((_, i) => i !== 1);
  return {
    tokens: ok.reduce((s, r) => s + r.body.usage.inputTokens + r.body.usage.outputTokens, 0),
    costUsd: ok.reduce(
      (s, r) => s + (r.body.usage.inputTokens * 0.03 + r.body.usage.outputTokens * 0.06) / 1000,
      0,
    ),
  };
}

interface Answer {
  status: number;
  type: string | null;
  text: string;
  json?: any;
}

async function get(url: string, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  const type = response.headers.get('content-type');
  return {
    status: response.status,
    type,
    text,
    json: type?.includes('json') ? JSON.parse(text) : undefined,
  };
}

/** Runs the CLI in-process, as `npx nestjs-observability report ...` does. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['report', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describeWithBinaries(['prometheus'], 'reports from a real Prometheus', () => {
  let app: INestApplication;
  let gate: ScrapeGate;
  let prometheus: PrometheusServer;
  let dir: string;
  let base: string;
  let sent: { tokens: number; costUsd: number };
  /** The end of every report: after the last scrape of the traffic. */
  let end: number;
  const range = () => `since=10m&end=${end}`;

  beforeAll(async () => {
    const port = await freePort();
    app = await bootSampleApp({
      REPORTS_ENABLED: 'true',
      PROMETHEUS_URL: `http://127.0.0.1:${port}`,
      ALERT_ADMIN_TOKEN: TOKEN,
    });
    base = await app.getUrl();
    gate = await ScrapeGate.start(metricsUrl(app));
    dir = mkdtempSync(join(tmpdir(), 'reports-e2e-'));
    // The README's minimal scrape configuration: a job and a target, no service label.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${SERVICE}`,
        '    static_configs:',
        `      - targets: ['${gate.target}']`,
        '',
      ].join('\n'),
    );
    prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'), port);
    // A first scrape before the traffic, so the range starts with the target up.
    await prometheus.waitFor(`up{job="${SERVICE}"}`, (s) => s.length === 1 && s[0].value === 1);
    // The business KPIs the report reads, recorded through the catalog's typed methods.
    const kpis = app.get(CustomMetricsService);
    sent = await gate.batch(async () => {
      kpis.trackRevenue({ amount: '29.99', currency: 'USD', planType: 'professional' });
      kpis.trackRevenue({ amount: '29.99', currency: 'USD', planType: 'professional' });
      kpis.trackRevenue({ amount: 9, currency: 'USD', planType: 'starter' });
      kpis.trackRevenue({ amount: '8.50', currency: 'EUR', planType: 'starter' });
      kpis.setActiveSubscriptions('professional', 2);
      kpis.setActiveSubscriptions('starter', 5);
      return drive(base);
    });
    await prometheus.waitFor(
      `payment_failures_total{service="${SERVICE}"}`,
      (s) => s.length === 1 && s[0].value === 1,
    );
    await prometheus.waitFor(
      `sum(generation_success_total{service="${SERVICE}"})`,
      (s) => s.length === 1 && s[0].value === 3,
    );
    // The HTTP counters are recorded when each response ends: maybe one scrape later.
    await prometheus.waitFor(
      `sum(http_requests_total{service="${SERVICE}"})`,
      (s) => s.length === 1 && s[0].value === 7,
    );
    // Rounded up: a sample visible now may carry a timestamp within the last second.
    end = Math.ceil(Date.now() / 1000);
    // One more scrape after `end`, so Prometheus has every sample up to it.
    const scrapes = gate.scrapes;
    await prometheus.waitFor('vector(1)', () => gate.scrapes > scrapes + 1);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await gate?.stop();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the performance report with the exact counts of the traffic sent', async () => {
    const answer = await get(`${base}/reports/performance?${range()}`, TOKEN);
    expect(answer.status).toBe(200);
    const report = answer.json;
    expect(report).toMatchObject({
      report: 'performance',
      source: 'prometheus',
      service: SERVICE,
      period: {
        start: new Date((end - 600) * 1000).toISOString(),
        end: new Date(end * 1000).toISOString(),
        seconds: 600,
      },
      notes: [],
    });
    expect(report.summary).toMatchObject({
      requests: 7,
      errors: 0,
      error_rate: 0,
      throughput: 7 / 600,
      uptime: 100,
    });
    expect(report.routes.map((r: any) => [r.method, r.route, r.requests, r.errors])).toEqual([
      ['POST', '/bot/messages', 4, 0],
      ['POST', '/payments', 3, 0],
    ]);
    // Durations and percentiles: the same as the app's own histograms hold (every sample of
    // them is in Prometheus, and nothing was observed since).
    const local = new ReportService({
      prefix: '',
      service: SERVICE,
      registry: app.get(MetricsRegistry).registry,
    });
    const own = (await local.report('performance')) as any;
    expect(own.source).toBe('process');
    for (const route of report.routes) {
      const mine = own.routes.find((r: any) => r.route === route.route);
      expect(route.requests).toBe(mine.requests);
      expect(route.avg_response_time).toBeCloseTo(mine.avg_response_time, 12);
      expect(route.p95_response_time).toBeCloseTo(mine.p95_response_time, 12);
    }
    expect(report.summary.p95_response_time).toBeGreaterThan(0);
  });

  it('answers the overview and business reports with the KPIs of the traffic sent', async () => {
    const overview = (await get(`${base}/reports/dashboard?${range()}`, TOKEN)).json;
    expect(overview.performance_metrics).toMatchObject({
      requests: 7,
      errors: 0,
      error_rate: 0,
      uptime: 100,
    });
    expect(overview.business_metrics).toMatchObject({
      generations: { succeeded: 3, failed: 1, success_rate: 75 },
      payments: { succeeded: 2, failed: 1, success_rate: (2 / 3) * 100 },
      tokens: sent.tokens,
      active_users: 4,
    });
    expect(overview.business_metrics.ai_cost_usd).toBeCloseTo(sent.costUsd, 12);
    // The minimal scrape configuration loads no rules: nothing fires.
    expect(overview.alerts).toEqual({ active_count: 0, alerts: [] });

    const business = (await get(`${base}/reports/business-intelligence?${range()}`, TOKEN)).json;
    expect(business).toMatchObject({
      report: 'business-intelligence',
      source: 'prometheus',
      // The test's own KPIs, plus what the sample app records for the traffic: two premium
      // payments of 9.99 (revenue and subscriptions) and four bot messages (usage).
      revenue: {
        by_currency: [
          { currency: 'USD', amount: 88.96 },
          { currency: 'EUR', amount: 8.5 },
        ],
        by_plan: [
          { plan_type: 'professional', currency: 'USD', amount: 59.98 },
          { plan_type: 'premium', currency: 'USD', amount: 19.98 },
          { plan_type: 'starter', currency: 'USD', amount: 9 },
          { plan_type: 'starter', currency: 'EUR', amount: 8.5 },
        ],
      },
      subscriptions: {
        active: 9,
        by_plan: [
          { plan_type: 'starter', active: 5 },
          { plan_type: 'premium', active: 2 },
          { plan_type: 'professional', active: 2 },
        ],
      },
      feature_usage: [{ tenant_id: '', metric_type: 'messages', count: 4 }],
      // Nothing records active users by period: it says so instead of failing.
      users: { active: 4, by_period: 'no data' },
      payments: {
        succeeded: 2,
        failed: 1,
        by_plan: [{ plan: 'premium', succeeded: 2 }],
      },
      generations: { succeeded: 3, failed: 1, success_rate: 75 },
      ai: { requests: 4, tokens: sent.tokens },
    });
    expect(business.ai.cost_usd).toBeCloseTo(sent.costUsd, 12);
  });

  it('answers CSV with one row per number, escaped, the same numbers as the JSON', async () => {
    const json = (await get(`${base}/reports/performance?${range()}`, TOKEN)).json;
    const csv = await get(`${base}/reports/performance?${range()}&format=csv`, TOKEN);
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csv.text).toBe(reportsToCsv([json]));
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe('report,field,labels,value');
    expect(lines).toContain('performance,source,,prometheus');
    expect(lines).toContain('performance,summary.requests,,7');
    expect(lines).toContain('performance,summary.uptime,,100');
    expect(lines).toContain('performance,routes.requests,method=POST;route=/bot/messages,4');
    expect(lines).toContain('performance,routes.requests,method=POST;route=/payments,3');
  });

  it('prints the same reports from the CLI, as JSON and as CSV', async () => {
    const args = ['--prometheus', prometheus.url, '--since', '10m', '--end', String(end)];
    const json = await cli(...args, '--service', SERVICE, '--format', 'json');
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.out);
    expect(Object.keys(printed)).toEqual(['dashboard', 'business-intelligence', 'performance']);
    for (const kind of Object.keys(printed)) {
      const api = (await get(`${base}/reports/${kind}?${range()}`, TOKEN)).json;
      expect(printed[kind]).toEqual(api);
    }

    const csv = await cli(
      ...args,
      '--service',
      SERVICE,
      '--format',
      'csv',
      '--report',
      'performance',
    );
    expect(csv.code).toBe(0);
    expect(`${csv.out}\r\n`).toBe(reportsToCsv([printed.performance]));

    // Without --service: every service Prometheus knows (one here), service null.
    const all = JSON.parse((await cli(...args, '--report', 'dashboard')).out);
    expect(all.service).toBeNull();
    expect(all.performance_metrics.requests).toBe(7);
  });

  it('refuses requests without the admin token (401), with a wrong one (401), and bad ranges (400)', async () => {
    const url = `${base}/reports/performance?${range()}`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, 'wrong-token')).status).toBe(401);
    expect((await get(url, `${TOKEN}x`)).status).toBe(401);

    const bad = async (query: string) => {
      const answer = await get(`${base}/reports/performance?${query}`, TOKEN);
      return [answer.status, answer.json?.errors];
    };
    expect(await bad('since=abc')).toEqual([
      400,
      { since: '"since" must be a duration such as 90m, 24h, 7d or 2w, got "abc".' },
    ]);
    expect(await bad('days=0')).toEqual([
      400,
      { days: '"days" must be a whole number from 1 to 400, got "0".' },
    ]);
    expect(await bad('since=1h&days=2')).toEqual([
      400,
      { days: 'Give one of "since", "days", "hours" or "start", not "since" and "days".' },
    ]);
    expect(await bad('start=yesterday')).toEqual([
      400,
      {
        start:
          '"start" must be an RFC 3339 time (2026-01-31T00:00:00Z) or Unix seconds, got "yesterday".',
      },
    ]);
    expect(await bad('since=500d')).toEqual([
      400,
      { since: 'The range must not exceed 400 days (500 days asked).' },
    ]);
    expect(await bad('format=xml')).toEqual([400, { format: 'expected json or csv' }]);
  });

  it('exits 2 with a clear message on a bad range or flag, 1 when Prometheus is unreachable', async () => {
    const bad = await cli('--prometheus', prometheus.url, '--since', '5x');
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toBe(
      '"since" must be a duration such as 90m, 24h, 7d or 2w, got "5x".',
    );
    const format = await cli('--prometheus', prometheus.url, '--format', 'xml');
    expect([format.code, format.err.split('\n')[0]]).toEqual([
      2,
      '"--format" must be json or csv, got "xml".',
    ]);
    const missing = await cli('--since', '1h');
    expect(missing.code).toBe(2);
    const closed = await freePort();
    const down = await cli('--prometheus', `http://user:secret@127.0.0.1:${closed}`);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(
      new RegExp(`^Prometheus at http://\\*\\*\\*@127\\.0\\.0\\.1:${closed} cannot be reached: `),
    );
    expect(down.err).not.toContain('secret');
  });
});

describe.each(ADAPTERS)('reports without Prometheus (%s)', (_name, adapter) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answer what the process knows, since it started, and name what needs Prometheus', async () => {
    app = await bootSampleApp({ REPORTS_ENABLED: 'true', ALERT_ADMIN_TOKEN: TOKEN }, adapter);
    const base = await app.getUrl();
    const sent = await drive(base);
    const performance = (await get(`${base}/reports/performance?since=24h`, TOKEN)).json;
    expect(performance).toMatchObject({ report: 'performance', source: 'process' });
    expect(performance.notes).toEqual([
      expect.stringMatching(
        /^Counts are this process's since it started \(.+\), not over the range asked \(.+\), and not other instances: a range, uptime and every instance need Prometheus \(set PROMETHEUS_URL or reports\.prometheusUrl\)\.$/,
      ),
      'uptime needs Prometheus (the share of successful scrapes over the range).',
    ]);
    expect(performance.summary).toMatchObject({ requests: 7, errors: 0, uptime: null });
    expect(performance.routes.map((r: any) => [r.route, r.requests])).toEqual([
      ['/bot/messages', 4],
      ['/payments', 3],
    ]);
    const csv = await get(`${base}/reports/performance?format=csv`, TOKEN);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')).toContain(
      'performance,routes.requests,method=POST;route=/bot/messages,4',
    );
    const overview = (await get(`${base}/reports/dashboard`, TOKEN)).json;
    expect(overview.business_metrics).toMatchObject({
      generations: { succeeded: 3, failed: 1, success_rate: 75 },
      payments: { succeeded: 2, failed: 1 },
      tokens: sent.tokens,
      active_users: 4,
    });
    // Alerts come from the process's alerting service here: the declined payment raised one.
    expect(overview.alerts).toEqual({
      active_count: 1,
      alerts: [{ alertname: 'PaymentFailure', severity: 'critical', service: SERVICE }],
    });
  });

  it('serves no route unless reports.enabled, and none without an admin token or guard', async () => {
    app = await bootSampleApp({ ALERT_ADMIN_TOKEN: TOKEN }, adapter);
    expect((await get(`${await app.getUrl()}/reports/performance`, TOKEN)).status).toBe(404);
    await app.close();
    app = await bootSampleApp({ REPORTS_ENABLED: 'true' }, adapter);
    expect((await get(`${await app.getUrl()}/reports/performance`)).status).toBe(404);
  });
});

describeWithBinaries(['prometheus'], 'reports across a restart of the application', () => {
  let app: INestApplication | undefined;
  let gate: ScrapeGate;
  let prometheus: PrometheusServer;
  let dir: string;

  afterAll(async () => {
    await prometheus?.stop();
    await gate?.stop();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const chat = async (base: string, userId: string) =>
    (
      await fetch(`${base}/bot/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId, text: 'Hello!' }),
      })
    ).status;

  it('counts what each run of the process did, the counters restarting from 0 in between', async () => {
    const metricsPort = String(await freePort());
    app = await bootSampleApp({ METRICS_PORT: metricsPort });
    gate = await ScrapeGate.start(`http://127.0.0.1:${metricsPort}`);
    dir = mkdtempSync(join(tmpdir(), 'reports-restart-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ${SERVICE}\n    static_configs:\n      - targets: ['${gate.target}']\n`,
    );
    prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
    const generations = `sum(generation_success_total{service="${SERVICE}"})`;

    // First run: 3 generations, scraped; then the process stops (a scrape or more fails).
    let base = await app.getUrl();
    expect([await chat(base, 'a'), await chat(base, 'b'), await chat(base, 'c')]).toEqual([
      200, 200, 200,
    ]);
    await prometheus.waitFor(generations, (s) => s.length === 1 && s[0].value === 3);
    await app.close();
    app = undefined;
    await prometheus.waitFor(`up{job="${SERVICE}"}`, (s) => s.length === 1 && s[0].value === 0);

    // Second run on the same metrics port: 2 more, counted from 0 again.
    app = await bootSampleApp({ METRICS_PORT: metricsPort });
    base = await app.getUrl();
    expect([await chat(base, 'd'), await chat(base, 'e')]).toEqual([200, 200]);
    await prometheus.waitFor(generations, (s) => s.length === 1 && s[0].value === 2);
    await prometheus.waitFor(
      `sum(http_requests_total{service="${SERVICE}"})`,
      (s) => s.length === 1 && s[0].value === 2,
    );
    const end = Math.ceil(Date.now() / 1000);
    const scrapes = gate.scrapes;
    await prometheus.waitFor('vector(1)', () => gate.scrapes > scrapes + 1);

    const { code, out, err } = await cli(
      '--prometheus',
      prometheus.url,
      '--since',
      '10m',
      '--end',
      String(end),
      '--service',
      SERVICE,
    );
    expect([code, err]).toEqual([0, '']);
    const reports = JSON.parse(out);
    expect(reports.dashboard.business_metrics.generations).toEqual({
      succeeded: 5,
      failed: 0,
      success_rate: 100,
    });
    expect(reports.performance.routes.map((r: any) => [r.route, r.requests])).toEqual([
      ['/bot/messages', 5],
    ]);
    // The scrapes that failed while the process was down count against its uptime.
    expect(reports.performance.summary.uptime).toBeGreaterThan(0);
    expect(reports.performance.summary.uptime).toBeLessThan(100);
  }, 90_000);
});

describe('monitoring.reports without Nest', () => {
  it('answers the same reports from the framework-free core', async () => {
    const monitoring = createMonitoring({
      service: 'bot',
      metrics: { port: 0, host: '127.0.0.1' },
      logging: { level: 'error' },
    });
    try {
      monitoring.trackKPI({ type: 'generation_success', data: { type: 'text' } });
      monitoring.trackKPI({ type: 'generation_success', data: { type: 'text' } });
      monitoring.trackKPI({
        type: 'generation_failure',
        data: { type: 'text', errorType: 'timeout' },
      });
      const report = await monitoring.reports.report('dashboard', { since: '1h' });
      expect(report).toMatchObject({ report: 'dashboard', source: 'process', service: 'bot' });
      expect((report.business_metrics as any).generations).toEqual({
        succeeded: 2,
        failed: 1,
        success_rate: (2 / 3) * 100,
      });
    } finally {
      await monitoring.close();
    }
  });
});

describe('reports when Prometheus fails', () => {
  it('answers 502 from the API and exits 1 from the CLI, saying why', async () => {
    // A server that accepts the query and never answers.
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as AddressInfo;
    const closed = await freePort();
    const app = await bootSampleApp({
      REPORTS_ENABLED: 'true',
      ALERT_ADMIN_TOKEN: TOKEN,
      PROMETHEUS_URL: `http://127.0.0.1:${closed}`,
    });
    try {
      const answer = await get(`${await app.getUrl()}/reports/dashboard`, TOKEN);
      expect(answer.status).toBe(502);
      expect(answer.json.message).toBe(
        `Prometheus at http://127.0.0.1:${closed} cannot be reached: connect ECONNREFUSED 127.0.0.1:${closed}.`,
      );
      const slow = await cli(
        '--prometheus',
        `http://127.0.0.1:${port}`,
        '--timeout-ms',
        '200',
        '--report',
        'performance',
      );
      expect(slow.code).toBe(1);
      expect(slow.err).toMatch(
        new RegExp(
          `^Prometheus at http://127\\.0\\.0\\.1:${port} did not answer within 200 ms \\(query .+\\)\\.$`,
        ),
      );
    } finally {
      await app.close();
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });
});
