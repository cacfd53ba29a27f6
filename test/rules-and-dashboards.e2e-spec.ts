import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { load } from 'js-yaml';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMonitoringArtifacts, ObservabilityModule } from 'nestjs-observability';
import { createMonitoring, type Monitoring } from '../lib/core';
import { toYaml } from '../lib/monitoring-artifacts/yaml.writer';
import { AppModule } from '../sample-app/src/app.module';
import { metricsUrl } from './utils/metrics-client';
import { describeWithBinaries, PrometheusServer } from './utils/prometheus';
import { startWorker, stopProcess } from './utils/queue-worker';
import { type RedisHandle, startRedis } from './utils/redis-server';
import { ScrapeGate } from './utils/scrape-gate';

/**
 * The generated rules and dashboards on a real Prometheus, as a user runs them: `ServiceDown`
 * fires for a stopped target whatever its scrape configuration, and every dashboard query
 * answers (0 rather than "No data") while the sample app and a BullMQ worker serve traffic.
 */

interface Panel {
  title: string;
  targets: { expr: string; legendFormat: string }[];
}

/** The generated prometheus.yml of `dir` plus `jobs`, as a user adds their own jobs to it. */
function addJobs(dir: string, jobs: unknown[]): void {
  const file = join(dir, 'prometheus.yml');
  const config = load(readFileSync(file, 'utf8')) as { scrape_configs: unknown[] };
  config.scrape_configs.push(...jobs);
  writeFileSync(file, toYaml(config as never));
}

describeWithBinaries(['prometheus'], 'ServiceDown on a real Prometheus', () => {
  let dir: string;
  let prometheus: PrometheusServer | undefined;
  const targets: Monitoring[] = [];

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(targets.map((t) => t.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fires for a target of the minimal scrape configuration and one of the generated configuration, once stopped', async () => {
    // Two services, each a real metrics server.
    for (const service of ['api-minimal', 'api-generated']) {
      const monitoring = createMonitoring({
        service,
        metrics: { port: 0, host: '127.0.0.1' },
        logging: { level: 'error' },
      });
      await monitoring.startMetricsServer();
      targets.push(monitoring);
    }
    const [minimal, generated] = targets.map((t) => `127.0.0.1:${t.metricsPort}`);
    dir = mkdtempSync(join(tmpdir(), 'service-down-'));
    await generateMonitoringArtifacts({
      out: dir,
      scrapeTargets: [{ service: 'api-generated', targets: [generated] }],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      alertmanagers: [],
      memoryLimitBytes: 64 * 1024 ** 3,
      alerts: { ServiceDown: { for: '1s' } },
    });
    // The README's minimal scrape configuration: a job named after the service, no labels.
    addJobs(dir, [{ job_name: 'api-minimal', static_configs: [{ targets: [minimal] }] }]);
    prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));

    const overview = JSON.parse(
      readFileSync(join(dir, 'grafana', 'service-overview.json'), 'utf8'),
    );
    const targetsUp = (overview.panels as Panel[]).find((p) => p.title === 'Targets Up')!;
    const expr = targetsUp.targets[0].expr.replaceAll('$service', '.*');
    // Both targets are up, and both count in "Targets Up".
    await prometheus.waitFor(expr, (s) => s.length === 1 && s[0].value === 2);

    await Promise.all(targets.map((t) => t.close()));
    const firing = async () =>
      ((await prometheus!.api('/api/v1/alerts')).data.alerts as any[])
        .filter((a) => a.labels.alertname === 'ServiceDown' && a.state === 'firing')
        .map((a) => [a.labels.service, a.labels.job, a.labels.instance])
        .sort();
    const deadline = Date.now() + 30_000;
    let last: string[][] = [];
    while (Date.now() < deadline) {
      last = await firing();
      if (last.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(last).toEqual([
      ['api-generated', 'api-generated', generated],
      ['api-minimal', 'api-minimal', minimal],
    ]);
    expect(await prometheus.value(expr)).toBe(0);
  }, 60_000);
});

const QUEUE = 'renders';

describeWithBinaries(
  ['prometheus', 'redis-server'],
  'every dashboard query against a real Prometheus scraping the sample app and a BullMQ worker',
  () => {
    const service = 'sample-api';
    let redis: RedisHandle;
    let app: INestApplication;
    let watcher: INestApplication;
    let worker: ChildProcess | undefined;
    let producer: Queue;
    let gates: ScrapeGate[] = [];
    let prometheus: PrometheusServer;
    let dir: string;

    beforeAll(async () => {
      redis = await startRedis();
      const connection = { host: '127.0.0.1', port: redis.port };
      const saved = process.env;
      process.env = { ...saved, METRICS_PORT: '0', LOG_LEVEL: 'error' };
      for (const name of ['METRICS_PREFIX', 'METRICS_HOST', 'ENABLE_METRICS']) {
        delete process.env[name];
      }
      try {
        app = await NestFactory.create(AppModule, { logger: false });
        await app.listen(0, '127.0.0.1');
        // A second instance of the service that watches a BullMQ queue in Redis.
        @Module({
          imports: [
            ObservabilityModule.forRoot({
              service,
              metrics: { port: 0, host: '127.0.0.1' },
              queues: { bullmq: { connection, queues: [QUEUE] } },
            }),
          ],
        })
        class WatcherModule {}
        watcher = await NestFactory.create(WatcherModule, { logger: false });
        await watcher.listen(0, '127.0.0.1');
      } finally {
        process.env = saved;
      }
      producer = new Queue(QUEUE, { connection });
      producer.on('error', () => undefined);
      worker = await startWorker(redis.port, QUEUE);
      gates = [
        await ScrapeGate.start(metricsUrl(app)),
        await ScrapeGate.start(metricsUrl(watcher)),
      ];
      dir = mkdtempSync(join(tmpdir(), 'dashboards-e2e-'));
      await generateMonitoringArtifacts({
        out: dir,
        scrapeTargets: [{ service, targets: gates.map((g) => g.target) }],
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        alertmanagers: [],
        memoryLimitBytes: 64 * 1024 ** 3,
      });
      prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
    }, 90_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all(gates.map((g) => g.stop()));
      await stopProcess(worker);
      await producer?.close().catch(() => undefined);
      await watcher?.close();
      await app?.close();
      await redis?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('answers every panel query with data; only the cost baselines, which need history, are empty', async () => {
      const base = await app.getUrl();
      const post = async (path: string, body: unknown) =>
        (
          await fetch(`${base}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status;
      // Every capability: chats (one failing generation), payments (one declined), image jobs
      // on the in-process queue (one failing: an AI error, a job failure, an error), and BullMQ
      // jobs that succeed and fail.
      expect([
        await post('/bot/messages', { userId: 'alice', text: 'Hello there, bot!' }),
        await post('/bot/messages', { userId: 'bob', text: 'This one will fail' }),
        // A long answer: a slow request (the sample app's threshold is 0.5 s).
        await post('/bot/messages', { userId: 'carol', text: 'Write an essay on lighthouses' }),
        await post('/payments', {
          userId: 'alice',
          plan: 'premium',
          paymentMethod: 'card',
          amount: 5,
        }),
        await post('/payments', {
          userId: 'bob',
          plan: 'fail-me',
          paymentMethod: 'card',
          amount: 5,
        }),
        await post('/images', { userId: 'carol', prompt: 'A lighthouse at dawn' }),
        await post('/images', { userId: 'dave', prompt: 'Please fail this image' }),
      ]).toEqual([200, 200, 200, 201, 402, 202, 202]);
      await producer.add('ok', {});
      await producer.add('ok', {});
      await producer.add('fail', { errorName: 'RenderTimeout' });
      await prometheus.waitFor(
        `sum(queue_failures_total{service="${service}",queue_name="${QUEUE}"})`,
        (s) => s.length === 1 && s[0].value === 1,
        30_000,
      );
      await prometheus.waitFor(
        `sum(queue_failures_total{service="${service}",queue_name="image-generation"})`,
        (s) => s.length === 1 && s[0].value === 1,
        30_000,
      );
      // More requests once their series exist, so the request rates are not 0 (a rate sees
      // only the growth between samples; 0 requests per second would make the 5xx ratio NaN).
      expect(await post('/bot/messages', { userId: 'erin', text: 'Hello again!' })).toBe(200);
      await prometheus.waitFor(
        `sum(http_requests_total{service="${service}"})`,
        (s) => s.length === 1 && s[0].value === 7,
        30_000,
      );
      // Enough samples after the traffic for every rate() to have two.
      await prometheus.waitFor(
        `min(count_over_time(queue_failures_total{service="${service}"}[5m]))`,
        (s) => s.length === 1 && s[0].value >= 4,
        30_000,
      );

      const files = readdirSync(join(dir, 'grafana')).filter((f) => f.endsWith('.json'));
      const empty: string[] = [];
      let evaluated = 0;
      for (const file of files) {
        const dashboard = JSON.parse(readFileSync(join(dir, 'grafana', file), 'utf8'));
        for (const panel of dashboard.panels as Panel[]) {
          for (const target of panel.targets) {
            const answer = await prometheus.query(target.expr.replaceAll('$service', service));
            if (answer.status !== 'success') {
              throw new Error(`${dashboard.title} / ${panel.title}: ${answer.error}`);
            }
            evaluated++;
            if (answer.samples.length === 0 && answer.scalar === undefined) {
              empty.push(`${dashboard.title} / ${panel.title} / ${target.legendFormat}`);
            }
          }
        }
      }
      expect(evaluated).toBeGreaterThanOrEqual(36);
      // The baseline is the previous day's average ending an hour ago: it needs an hour of
      // history, which no test has.
      // The in-process baseline of a cost window exists once a first window has ended (an hour).
      expect(empty).toEqual([
        'AI Cost / AI Cost Rate vs Baseline / Baseline (previous day)',
        'Money, Usage and AI Cost Windows / AI Cost: Current Window vs Baseline / baseline {{time_window}}',
        // The sample app has no database and no cache: these panels are answered against a real
        // PostgreSQL and Redis in database-cache-prometheus.e2e-spec.ts.
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
      ]);

      // Every recording rule but the database and cache ones has recorded a value for the
      // service, the 5xx ratio a 0.
      const rules = await prometheus.api('/api/v1/rules?type=record');
      const records: string[] = rules.data.groups.flatMap((g: any) =>
        g.rules.map((r: any) => r.name),
      );
      expect(records.length).toBeGreaterThanOrEqual(11);
      const unrecorded: string[] = [];
      for (const record of records) {
        await prometheus
          .waitFor(`${record}{service="${service}"}`, (samples) => samples.length > 0, 5_000)
          .catch(() => unrecorded.push(record));
      }
      // No database or cache here (database-cache-prometheus.e2e-spec.ts records these).
      expect(unrecorded).toEqual([
        'service_cache:cache_hit:ratio_rate5m',
        'service:database_query_duration_seconds:p95_5m',
        'service:database_query_duration_seconds:p99_5m',
        'service_operation_table:database_query_duration_seconds:p95_5m',
      ]);
      expect(
        await prometheus.value(`service:http_requests_errors:ratio_rate5m{service="${service}"}`),
      ).toBe(0);

      // No 5xx and no critical error: the panels read 0, not "No data".
      const overview = JSON.parse(
        readFileSync(join(dir, 'grafana', 'service-overview.json'), 'utf8'),
      );
      const target = (title: string, ref: number) =>
        (overview.panels as Panel[])
          .find((p) => p.title === title)!
          .targets[ref].expr.replaceAll('$service', service);
      expect(await prometheus.value(target('HTTP 5xx Ratio', 0))).toBe(0);
      expect(await prometheus.value(target('Error Rate', 1))).toBe(0);

      // The BullMQ queue is in "Active Jobs" next to the in-process one.
      const queues = JSON.parse(
        readFileSync(join(dir, 'grafana', 'queue-monitoring.json'), 'utf8'),
      );
      const active = (queues.panels as Panel[]).find((p) => p.title === 'Active Jobs')!;
      const answer = await prometheus.query(active.targets[0].expr.replaceAll('$service', service));
      expect(
        answer.status === 'success' && answer.samples.map((s) => s.metric.queue_name).sort(),
      ).toEqual(['image-generation', QUEUE]);
    }, 120_000);
  },
);
