import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMonitoringArtifacts } from 'nestjs-observability';
import { MetricCatalog } from '../lib/metrics/metric-catalog';
import { AppModule } from '../sample-app/src/app.module';
import { metricsUrl } from './utils/metrics-client';
import { describeWithBinaries, findBinary, PrometheusServer, runTool } from './utils/prometheus';
import { ScrapeGate } from './utils/scrape-gate';

/**
 * Proves the generated artifacts on the real engine: promtool checks and unit-tests the rules,
 * lints the sample app's exposition, and a real Prometheus, loaded with the generated
 * `prometheus.yml` and rule files, scrapes the sample app while it serves traffic; every panel
 * and rule expression is then evaluated through Prometheus' HTTP API.
 */

const UNIT_TESTS = join(__dirname, 'prometheus', 'alerts.test.yml');
const RUNBOOKS = 'https://runbooks.example.com/alerts';

/** Boots the sample app with its metrics server on a free port and `env` applied. */
async function bootSampleApp(env: Record<string, string>): Promise<INestApplication> {
  const saved = process.env;
  process.env = { ...saved, METRICS_PORT: '0', ...env };
  // Settings of the developer's shell must not change metric names or disable the server.
  if (!('METRICS_PREFIX' in env)) delete process.env.METRICS_PREFIX;
  delete process.env.METRICS_HOST;
  delete process.env.ENABLE_METRICS;
  try {
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    return app;
  } finally {
    process.env = saved;
  }
}

describe('the generated files of the sample app', () => {
  it('are what `npm run sample:monitoring` writes today', async () => {
    const root = join(__dirname, '..', 'sample-app');
    const options = JSON.parse(readFileSync(join(root, 'monitoring.config.json'), 'utf8'));
    const { files } = await generateMonitoringArtifacts(options);
    const stale = files
      .filter((file) => {
        try {
          return readFileSync(join(root, 'monitoring', file.path), 'utf8') !== file.content;
        } catch {
          return true;
        }
      })
      .map((file) => file.path);
    if (stale.length) {
      throw new Error(
        `sample-app/monitoring is stale (${stale.join(', ')}): run \`npm run sample:monitoring\` and commit it.`,
      );
    }
    expect(files).toHaveLength(8);
  });
});

describeWithBinaries(['promtool'], 'generated rules under promtool', () => {
  let dir: string;
  const promtool = (...args: string[]) => runTool(findBinary('promtool')!, args, { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monitoring-artifacts-'));
    await generateMonitoringArtifacts({
      out: dir,
      prefix: 'luneo_',
      service: 'api',
      runbookUrl: RUNBOOKS,
    });
    copyFileSync(UNIT_TESTS, join(dir, 'alerts.test.yml'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes promtool check rules on alerts.yml and recording-rules.yml', async () => {
    const result = await promtool('check', 'rules', 'alerts.yml', 'recording-rules.yml');
    expect(result).toEqual({
      code: 0,
      stdout:
        'Checking alerts.yml\n  SUCCESS: 22 rules found\n\n' +
        'Checking recording-rules.yml\n  SUCCESS: 17 rules found\n\n',
      stderr: '',
    });
  });

  it('passes promtool check rules with the defaults too (no prefix, every service)', async () => {
    const defaults = mkdtempSync(join(tmpdir(), 'monitoring-artifacts-defaults-'));
    try {
      await generateMonitoringArtifacts({ out: defaults });
      const result = await runTool(
        findBinary('promtool')!,
        ['check', 'rules', 'alerts.yml', 'recording-rules.yml'],
        { cwd: defaults },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      rmSync(defaults, { recursive: true, force: true });
    }
  });

  it('passes promtool check config on prometheus.yml and the rule files it loads', async () => {
    const result = await promtool('check', 'config', 'prometheus.yml');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 2 rule files found');
    expect(result.stdout).toContain(
      'SUCCESS: prometheus.yml is valid prometheus config file syntax',
    );
    expect(result.stdout).toContain('Checking alerts.yml\n  SUCCESS: 22 rules found');
  });

  it('fires every alert on series that cross its threshold and none on series below (promtool test rules)', async () => {
    const result = await promtool('test', 'rules', 'alerts.test.yml');
    expect(result.stdout).toBe('Unit Testing:  alerts.test.yml\n  SUCCESS\n\n');
    expect(result.code).toBe(0);
  });

  it('fails the same unit tests on rules of every service, which alert on "bot" too', async () => {
    const unscoped = mkdtempSync(join(tmpdir(), 'monitoring-artifacts-unscoped-'));
    try {
      await generateMonitoringArtifacts({ out: unscoped, prefix: 'luneo_', runbookUrl: RUNBOOKS });
      copyFileSync(UNIT_TESTS, join(unscoped, 'alerts.test.yml'));
      const result = await runTool(findBinary('promtool')!, ['test', 'rules', 'alerts.test.yml'], {
        cwd: unscoped,
      });
      const output = result.stdout + result.stderr;
      expect(result.code).toBe(1);
      expect(output).toContain('alertname: ServiceDown');
      expect(output).toContain('service="bot"');
    } finally {
      rmSync(unscoped, { recursive: true, force: true });
    }
  });
});

describeWithBinaries(['promtool'], "the sample app's /metrics under promtool check metrics", () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('passes, except for the five gauges named *_total: two of ours kept for their documented names, three of prom-client', async () => {
    app = await bootSampleApp({});
    const base = await app.getUrl();
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Every KPI family of the sample app, successes and failures, so all of them are linted.
    await post('/bot/messages', { userId: 'alice', text: 'Hello' });
    await post('/bot/messages', { userId: 'bob', text: 'This one will fail' });
    await post('/payments', { userId: 'alice', plan: 'premium', paymentMethod: 'card', amount: 5 });
    await post('/payments', { userId: 'bob', plan: 'fail-me', paymentMethod: 'card', amount: 5 });
    // An image job, so the queue gauges are exposed too.
    const job = (await (
      await post('/images', { userId: 'carol', prompt: 'A lighthouse' })
    ).json()) as {
      jobId: string;
    };
    for (let i = 0; i < 100; i++) {
      const state = (await (await fetch(`${base}/images/${job.jobId}`)).json()) as {
        status: string;
      };
      if (state.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const exposition = await (await fetch(`${metricsUrl(app)}/metrics`)).text();
    expect(exposition).toContain('\ngeneration_failure_total{');
    expect(exposition).toContain('\npayment_failures_total{');
    const result = await runTool(findBinary('promtool')!, ['check', 'metrics'], {
      input: exposition,
    });
    // promtool wants `_total` on counters only. `active_users_total` and `active_jobs_total`
    // are gauges whose documented names we keep (dashboards and rules of existing setups read
    // them; the generated rules read them as gauges, never with rate()); the three
    // `nodejs_active_*_total` gauges are prom-client's default metrics. These are the only
    // findings, and promtool then exits with 3.
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'active_jobs_total non-counter metrics should not have "_total" suffix',
      'active_users_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
      '',
    ]);
    expect(result.code).toBe(3);
  });
});

interface Panel {
  title: string;
  type: string;
  targets: { refId: string; expr: string; legendFormat: string }[];
}

describeWithBinaries(['prometheus'], 'a real Prometheus scraping the sample app', () => {
  // The tests run in order: the first drives the traffic the other two evaluate against.
  const service = 'sample-api';
  const prefix = 'luneo_';
  let app: INestApplication;
  let gate: ScrapeGate;
  let prometheus: PrometheusServer;
  let dir: string;
  let dashboards: { title: string; panels: Panel[] }[];
  let base: string;

  beforeAll(async () => {
    app = await bootSampleApp({ METRICS_PREFIX: prefix });
    base = await app.getUrl();
    gate = await ScrapeGate.start(metricsUrl(app));
    dir = mkdtempSync(join(tmpdir(), 'monitoring-artifacts-e2e-'));
    await generateMonitoringArtifacts({
      out: dir,
      prefix,
      scrapeTargets: [{ service, targets: [gate.target] }],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      alertmanagers: [],
      // Jest's own memory must not trip HighMemoryUsage.
      memoryLimitBytes: 64 * 1024 ** 3,
    });
    dashboards = [
      'service-overview',
      'business-kpis',
      'queue-monitoring',
      'ai-cost',
      'money-and-usage',
    ].map((name) => JSON.parse(readFileSync(join(dir, 'grafana', `${name}.json`), 'utf8')));
    // The generated prometheus.yml, as a user would run it: it loads the generated rule files.
    prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await gate?.stop();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown): Promise<any> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  const chat = (userId: string, text: string) => post('/bot/messages', { userId, text });
  const pay = (userId: string, plan: string) =>
    post('/payments', { userId, plan, paymentMethod: 'card', amount: 9.99 });

  /** `expr` of a dashboard with the `service` variable set to the sample app. */
  const withService = (expr: string) => expr.replaceAll('$service', service);

  function panel(dashboard: string, title: string): Panel {
    const found = dashboards
      .find((d) => d.title === dashboard)
      ?.panels.find((p) => p.title === title);
    if (!found) throw new Error(`No panel "${title}" in dashboard "${dashboard}"`);
    return found;
  }

  /** The value of the one series a panel's target returns. */
  async function panelValue(dashboard: string, title: string, target = 0): Promise<number> {
    return prometheus.value(withService(panel(dashboard, title).targets[target].expr));
  }

  it('loads the generated rules, scrapes the sample app and answers every KPI panel with the values the traffic implies', async () => {
    // Warm-up: creates the series, all in one scrape (rates need a first sample to start from).
    const warm = await gate.batch(async () => [
      await chat('alice', 'Hello there, bot!'),
      await chat('bob', 'This one will fail'),
      await pay('alice', 'premium'),
      await pay('carol', 'fail-me'),
    ]);
    expect(warm.map((r) => r.status)).toEqual([200, 200, 201, 402]);
    await prometheus.waitFor(
      `${prefix}payment_failures_total{service="${service}"}`,
      (s) => s.length === 1 && s[0].value === 1,
    );

    // The traffic the panels are checked against, again in one scrape: 3 more successful
    // and 1 more failed generation, 2 more successful and 1 more declined payment.
    const replies = await gate.batch(async () => [
      await chat('carol', 'Summarise the news, please.'),
      await chat('dave', 'Tell me a story.'),
      await chat('alice', 'Thanks!'),
      await chat('erin', 'Please fail again'),
      await pay('dave', 'premium'),
      await pay('erin', 'premium'),
      await pay('frank', 'fail-me'),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 201, 201, 402]);

    // Wait until Prometheus holds the final values and at least 8 samples of each series,
    // so the start of every rate() is extrapolated alike (see ScrapeGate).
    await prometheus.waitFor(
      `${prefix}generation_success_total{service="${service}"}`,
      (s) => s.length === 1 && s[0].value === 4,
    );
    await prometheus.waitFor(
      `min(count_over_time(${prefix}generation_success_total{service="${service}"}[5m]))`,
      (s) => s.length === 1 && s[0].value >= 8,
      30_000,
    );

    const tokens = [warm[0], ...replies.slice(0, 4)].reduce(
      (sum, r) => sum + r.body.usage.inputTokens + r.body.usage.outputTokens,
      0,
    );
    const costUsd = [warm[0], ...replies.slice(0, 4)].reduce(
      (sum, r) => sum + (r.body.usage.inputTokens * 0.03 + r.body.usage.outputTokens * 0.06) / 1000,
      0,
    );
    const laterTokens = tokens - warm[0].body.usage.inputTokens - warm[0].body.usage.outputTokens;
    expect(laterTokens).toBeGreaterThan(0);

    // Business KPIs
    expect(await panelValue('Service Overview', 'Active Users')).toBe(5);
    expect(await panelValue('Business KPIs', 'Total Generations')).toBe(4);
    expect(await panelValue('Business KPIs', 'Tokens Spent')).toBe(tokens);
    expect(await panelValue('Business KPIs', 'Successful Payments')).toBe(3);
    // Rates over the traffic after the warm-up: 3 of 4 generations, 2 of 3 payments.
    expect(await panelValue('Business KPIs', 'Generation Success Rate')).toBeCloseTo(75, 9);
    expect(await panelValue('Business KPIs', 'Payment Success Rate')).toBeCloseTo(200 / 3, 9);
    // rate() and increase() extrapolate a little past the first and last samples.
    const spendRate = await panelValue('Business KPIs', 'Token Spend Rate');
    expect(spendRate).toBeGreaterThanOrEqual(laterTokens);
    expect(spendRate).toBeLessThan(laterTokens * 1.35);
    const conversions = await panelValue('Business KPIs', 'Payment Conversions', 1);
    expect(conversions).toBeGreaterThanOrEqual(2);
    expect(conversions).toBeLessThan(2 * 1.35);
    expect(await panelValue('AI Cost', 'AI Cost (USD)')).toBeCloseTo(costUsd, 9);
    expect(await panelValue('AI Cost', 'Token Cost (USD)')).toBeCloseTo(costUsd, 9);
    expect(await panelValue('Service Overview', 'Targets Up')).toBe(1);
    // The process metrics carry the prefix too.
    expect(await panelValue('Service Overview', 'Resident Memory')).toBeGreaterThan(1_000_000);

    // LowGenerationSuccessRate (75 % < 90 %) is pending in the real engine (it needs 10m to fire).
    const alerts = await prometheus.api('/api/v1/alerts');
    expect(
      alerts.data.alerts.map((a: any) => [a.labels.alertname, a.labels.service, a.state]),
    ).toEqual([['LowGenerationSuccessRate', service, 'pending']]);
  }, 90_000);

  it('evaluates every generated rule without error in the real engine', async () => {
    const rules = await prometheus.api('/api/v1/rules');
    const loaded = rules.data.groups.flatMap((group: any) =>
      group.rules.map((rule: any) => ({ group: group.name, name: rule.name, rule })),
    );
    expect(rules.data.groups.map((g: any) => g.name).sort()).toEqual([
      'api_alerts',
      'business_alerts',
      'database_performance',
      'kpi_alerts',
      'nestjs_observability_recording',
      'service_alerts',
    ]);
    expect(loaded).toHaveLength(22 + 17);
    // Each evaluated every second since Prometheus started, each with health "ok".
    const unhealthy = loaded
      .filter(({ rule }: any) => rule.health !== 'ok' || rule.lastError)
      .map(({ name, rule }: any) => `${name}: ${rule.health} ${rule.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
    for (const { name, rule } of loaded) {
      const answer = await prometheus.query(rule.query);
      expect({ name, status: answer.status }).toEqual({ name, status: 'success' });
    }
    // The recorded success ratio matches the panel's.
    expect(
      await prometheus.value(
        `service:${prefix}generation_success:ratio_rate5m{service="${service}"}`,
      ),
    ).toBeCloseTo(0.75, 9);
  });

  it('evaluates every dashboard panel expression without error; only queue and day-old series are empty', async () => {
    const empty: string[] = [];
    let evaluated = 0;
    for (const dashboard of dashboards) {
      for (const p of dashboard.panels) {
        for (const target of p.targets) {
          expect(target.expr).toContain(`service=~"$service"`);
          const answer = await prometheus.query(withService(target.expr));
          if (answer.status !== 'success') {
            throw new Error(`${dashboard.title} / ${p.title}: ${target.expr}: ${answer.error}`);
          }
          evaluated++;
          if (answer.samples.length === 0) {
            empty.push(`${dashboard.title} / ${p.title} / ${target.legendFormat}`);
          }
        }
      }
    }
    expect(evaluated).toBe(57);
    // No 5xx and no critical error read 0, not "No data"; no image job ran here (the queue
    // panels, answered in rules-and-dashboards.e2e-spec.ts), and the cost baseline needs an
    // hour of history.
    expect(empty).toEqual([
      // The sample app uses no database and no cache.
      'Service Overview / Database Connections / {{pool}} {{state}}',
      'Service Overview / Database Query Performance / p95 {{operation}} {{table}}',
      'Service Overview / Database Query Performance / p99 all queries',
      'Service Overview / Database Errors / {{operation}} {{error_type}}',
      'Service Overview / Slow Queries / {{operation}} {{table}}',
      'Service Overview / Cache Hit Rate / {{cache}}',
      'Service Overview / Cache Items / {{cache}}',
      'Service Overview / Cache Operations / {{cache}} {{operation}} {{result}}',
      'Service Overview / Cache Latency P95 / {{cache}} {{operation}}',
      'Service Overview / Cache Memory / {{cache}}',
      'Queue Monitoring / Active Jobs / {{queue_name}}',
      'Queue Monitoring / Job Duration (P95) / {{queue_name}}',
      'Queue Monitoring / Queue Failure Rate / {{queue_name}}',
      'Queue Monitoring / Jobs Completed Rate / {{queue_name}}',
      'Queue Monitoring / Jobs Waiting / {{queue_name}}',
      'Queue Monitoring / Oldest Job Wait Time / {{queue_name}}',
      'Queue Monitoring / Queue Wait Time (P95) / {{queue_name}}',
      'AI Cost / AI Cost Rate vs Baseline / Baseline (previous day)',
      // A cost window's baseline needs a first window to end (an hour); this traffic sends no
      // slow request (rules-and-dashboards.e2e-spec.ts does).
      'Money, Usage and AI Cost Windows / AI Cost: Current Window vs Baseline / baseline {{time_window}}',
      'Money, Usage and AI Cost Windows / Slow Requests / {{route}}',
    ]);
    // Every built-in metric the app records is exposed with the prefix.
    const names = await prometheus.query(
      `count by (__name__) ({service="${service}",__name__=~"${prefix}.+"})`,
    );
    expect(names.status).toBe('success');
    if (names.status === 'success') {
      expect(names.samples.map((s) => s.metric.__name__)).toContain(
        `${prefix}${MetricCatalog.generationSuccess.name}`,
      );
    }
  });
});
