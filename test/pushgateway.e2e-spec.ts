import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PushgatewayClient } from '../lib/metrics/pushgateway';
import { findSamples, parseExposition, sampleValue } from './utils/exposition';
import { PrometheusServer } from './utils/prometheus';
import { describeWithPushgateway, PushgatewayServer } from './utils/pushgateway';

const JOB = 'nightly-import';
const SERVICE = 'billing-batch';

/** A job's registry: a counter and a histogram with the default label `service`. */
function jobRegistry(): { registry: Registry; rows: Counter<'status'>; duration: Histogram } {
  const registry = new Registry();
  registry.setDefaultLabels({ service: SERVICE });
  const rows = new Counter({
    name: 'import_rows_total',
    help: 'Rows imported, by outcome.',
    labelNames: ['status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'import_duration_seconds',
    help: 'Duration of one import step.',
    buckets: [0.1, 1, 10],
    registers: [registry],
  });
  return { registry, rows, duration };
}

/** A registry holding only the "last success" gauge, set to `value`. */
function lastSuccessRegistry(value: number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: SERVICE });
  new Gauge({
    name: 'import_last_success_timestamp_seconds',
    help: 'Unix time of the last successful import.',
    registers: [registry],
  }).set(value);
  return registry;
}

describeWithPushgateway('PushgatewayClient against a real Pushgateway and Prometheus', () => {
  let gateway: PushgatewayServer;
  let prometheus: PrometheusServer;
  let dir: string;

  const client = (registry: Registry, instance: string) =>
    new PushgatewayClient(registry, {
      url: gateway.url,
      jobName: JOB,
      groupings: { instance },
      timeoutMs: 3000,
    });

  /** The gateway's exposition, parsed. */
  const gatewayMetrics = async () => parseExposition(await gateway.metricsText());

  /** The metric names the gateway holds for the group `instance` (its own push_* included). */
  const groupNames = async (instance: string) =>
    [
      ...new Set(
        (await gatewayMetrics()).samples
          .filter((s) => s.labels.job === JOB && s.labels.instance === instance)
          .map((s) => s.name),
      ),
    ].sort();

  beforeAll(async () => {
    gateway = await PushgatewayServer.start();
    dir = mkdtempSync(join(tmpdir(), 'pushgateway-e2e-'));
    // honor_labels keeps the pushed job and instance instead of renaming them exported_*.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: pushgateway',
        '    honor_labels: true',
        '    static_configs:',
        `      - targets: ['${gateway.target}']`,
        '',
      ].join('\n'),
    );
    prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
  }, 45_000);

  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('push() lands the series on the gateway, and Prometheus scrapes them with job, instance and service', async () => {
    const { registry, rows, duration } = jobRegistry();
    rows.inc({ status: 'ok' }, 1200);
    rows.inc({ status: 'failed' }, 3);
    duration.observe(0.5);
    duration.observe(2.5);
    await client(registry, 'batch-1').push();

    const group = { job: JOB, instance: 'batch-1', service: SERVICE };
    const pushed = await gatewayMetrics();
    expect(sampleValue(pushed, 'import_rows_total', { ...group, status: 'ok' })).toBe(1200);
    expect(sampleValue(pushed, 'import_rows_total', { ...group, status: 'failed' })).toBe(3);
    expect(sampleValue(pushed, 'import_duration_seconds_count', group)).toBe(2);
    expect(sampleValue(pushed, 'import_duration_seconds_sum', group)).toBe(3);

    const samples = await prometheus.waitFor(
      `import_rows_total{job="${JOB}"}`,
      (found) => found.length === 2,
    );
    const byStatus = Object.fromEntries(samples.map((s) => [s.metric.status, s]));
    for (const [status, value] of [
      ['ok', 1200],
      ['failed', 3],
    ] as const) {
      expect(byStatus[status].metric).toEqual({
        __name__: 'import_rows_total',
        job: JOB,
        instance: 'batch-1',
        service: SERVICE,
        status,
      });
      expect(byStatus[status].value).toBe(value);
    }
    const selector = `job="${JOB}",instance="batch-1",service="${SERVICE}"`;
    expect(await prometheus.value(`import_duration_seconds_count{${selector}}`)).toBe(2);
    expect(await prometheus.value(`import_duration_seconds_sum{${selector}}`)).toBe(3);
    expect(
      await prometheus.value(`import_duration_seconds_bucket{${selector},le=~"0.1|0.1.0"}`),
    ).toBe(0);
    expect(await prometheus.value(`import_duration_seconds_bucket{${selector},le=~"1|1.0"}`)).toBe(
      1,
    );
    expect(
      await prometheus.value(`import_duration_seconds_bucket{${selector},le=~"10|10.0"}`),
    ).toBe(2);
    expect(await prometheus.value(`import_duration_seconds_bucket{${selector},le="+Inf"}`)).toBe(2);
    expect(
      await prometheus.value(`push_time_seconds{job="${JOB}",instance="batch-1"}`),
    ).toBeGreaterThan(Date.now() / 1000 - 60);
  }, 30_000);

  it("pushAdd() (POST) keeps the group's other metrics; push() (PUT) replaces the whole group and only it", async () => {
    const { registry, rows } = jobRegistry();
    rows.inc({ status: 'ok' }, 7);
    await client(registry, 'batch-1').push();
    await client(registry, 'batch-2').push();

    await client(lastSuccessRegistry(1000), 'batch-1').pushAdd();
    let metrics = await gatewayMetrics();
    expect(
      sampleValue(metrics, 'import_rows_total', {
        job: JOB,
        instance: 'batch-1',
        service: SERVICE,
        status: 'ok',
      }),
    ).toBe(7);
    expect(
      sampleValue(metrics, 'import_last_success_timestamp_seconds', {
        job: JOB,
        instance: 'batch-1',
        service: SERVICE,
      }),
    ).toBe(1000);

    // POST replaces the metrics of the same name.
    await client(lastSuccessRegistry(2000), 'batch-1').pushAdd();
    metrics = await gatewayMetrics();
    expect(
      sampleValue(metrics, 'import_last_success_timestamp_seconds', {
        job: JOB,
        instance: 'batch-1',
        service: SERVICE,
      }),
    ).toBe(2000);
    expect(
      findSamples(metrics, 'import_rows_total', { job: JOB, instance: 'batch-1' }),
    ).toHaveLength(1);

    // PUT replaces the whole group: the counter and the histogram are gone from batch-1.
    await client(lastSuccessRegistry(3000), 'batch-1').push();
    expect(await groupNames('batch-1')).toEqual([
      'import_last_success_timestamp_seconds',
      'push_failure_time_seconds',
      'push_time_seconds',
    ]);
    metrics = await gatewayMetrics();
    expect(
      sampleValue(metrics, 'import_last_success_timestamp_seconds', {
        job: JOB,
        instance: 'batch-1',
        service: SERVICE,
      }),
    ).toBe(3000);
    // Another grouping is another group: batch-2 is untouched.
    expect(
      sampleValue(metrics, 'import_rows_total', {
        job: JOB,
        instance: 'batch-2',
        service: SERVICE,
        status: 'ok',
      }),
    ).toBe(7);
  });

  it('delete() removes the group from the gateway and leaves the others', async () => {
    expect(await groupNames('batch-1')).not.toEqual([]);
    expect(await groupNames('batch-2')).not.toEqual([]);
    // The Pushgateway queues a deletion and answers 202 before its store has applied it.
    const groupGone = async (instance: string) => {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
        if ((await groupNames(instance)).length === 0) return [];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return groupNames(instance);
    };
    await client(new Registry(), 'batch-1').delete();
    expect(await groupGone('batch-1')).toEqual([]);
    expect(await groupNames('batch-2')).toContain('import_rows_total');
    await client(new Registry(), 'batch-2').delete();
    expect(await groupGone('batch-2')).toEqual([]);
  });

  it('sends grouping values with "/" and empty ones intact (base64)', async () => {
    const registry = lastSuccessRegistry(42);
    const pushgateway = new PushgatewayClient(registry, {
      url: gateway.url,
      jobName: 'import été',
      groupings: { instance: 'host-1/data in', shard: '' },
    });
    await pushgateway.push();
    const samples = findSamples(await gatewayMetrics(), 'import_last_success_timestamp_seconds', {
      job: 'import été',
    });
    expect(samples).toEqual([
      {
        name: 'import_last_success_timestamp_seconds',
        labels: { job: 'import été', instance: 'host-1/data in', shard: '', service: SERVICE },
        value: 42,
      },
    ]);
    await pushgateway.delete();
    expect(
      findSamples(await gatewayMetrics(), 'import_last_success_timestamp_seconds', {
        job: 'import été',
      }),
    ).toEqual([]);
  });

  it("rejects with the gateway's 400 when a push conflicts with another group", async () => {
    const { registry, rows } = jobRegistry();
    rows.inc({ status: 'ok' });
    await client(registry, 'batch-3').push();
    // The same name as a gauge in another group: the Pushgateway refuses the whole push.
    const conflicting = new Registry();
    new Gauge({
      name: 'import_rows_total',
      help: 'Rows imported, by outcome.',
      registers: [conflicting],
    }).set(1);
    await expect(client(conflicting, 'batch-4').push()).rejects.toThrow(
      new RegExp(
        `^Pushing \\(PUT\\) the metrics of group \\{job="${JOB}", instance="batch-4"\\} on the Pushgateway at ${gateway.url.replace(/\./g, '\\.')} failed: it answered HTTP 400 \\(".*inconsistent`,
      ),
    );
    // The gateway records the failed attempt in the group, but none of the pushed metrics.
    expect(await groupNames('batch-4')).toEqual(['push_failure_time_seconds', 'push_time_seconds']);
    expect(
      sampleValue(await gatewayMetrics(), 'push_failure_time_seconds', {
        job: JOB,
        instance: 'batch-4',
      }),
    ).toBeGreaterThan(0);
    await client(registry, 'batch-3').delete();
    await client(conflicting, 'batch-4').delete();
  });

  it('rejects, naming the gateway, once it is gone', async () => {
    const url = gateway.url;
    const pushgateway = client(lastSuccessRegistry(1), 'batch-5');
    await gateway.stop();
    // A keep-alive socket to the stopped gateway may still be pooled: reset rather than refused.
    const message = await pushgateway.push().then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    expect(message).toContain(`on the Pushgateway at ${url} failed: `);
    expect(message).toMatch(/failed: (connect ECONNREFUSED|.*ECONNRESET)/);
  });
});
