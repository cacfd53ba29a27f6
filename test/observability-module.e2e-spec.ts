import { Injectable, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:net';
import type { Counter } from 'prom-client';
import {
  CustomMetricsService,
  InjectMetric,
  makeCounterProvider,
  MetricsServer,
  ObservabilityModule,
  type ObservabilityModuleOptions,
} from 'nestjs-observability';
import { sampleValue } from './utils/exposition';
import { metricsUrl, scrape } from './utils/metrics-client';

const base: ObservabilityModuleOptions = {
  service: 'api',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
};

async function boot(
  options: ObservabilityModuleOptions = base,
  imports: Array<new () => unknown> = [],
) {
  @Module({ imports: [ObservabilityModule.forRoot(options), ...imports] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  return app;
}

describe('ObservabilityModule', () => {
  const apps: INestApplication[] = [];
  const start = async (...args: Parameters<typeof boot>) => {
    const app = await boot(...args);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('KPI catalog', () => {
    it('exposes every KPI with the seeds’ names, types and labels', async () => {
      const app = await start({
        ...base,
        kpi: { tokenPricing: { 'gpt-4': { input: 0.03, output: 0.06 } } },
      });
      const metrics = app.get(CustomMetricsService);
      metrics.trackKPI({ type: 'active_user', data: { userId: 'user-1' } });
      metrics.trackKPI({ type: 'active_user', data: { userId: 'user-2' } });
      metrics.trackKPI({ type: 'active_user', data: { userId: 'user-1' } });
      metrics.trackKPI({ type: 'generation_success', data: { type: 'image' } });
      metrics.trackGenerationSuccess('image');
      metrics.trackKPI({
        type: 'generation_failure',
        data: { type: 'image', errorType: 'timeout' },
      });
      metrics.trackKPI({
        type: 'token_spend',
        data: { tokens: 1500, model: 'gpt-4', type: 'input' },
      });
      metrics.trackTokenSpend(500, 'gpt-4', 'output');
      metrics.trackTokenSpend(100, 'llama', 'output');
      metrics.trackKPI({
        type: 'payment_conversion',
        data: { paymentMethod: 'card', plan: 'premium' },
      });
      metrics.trackKPI({
        type: 'payment_failure',
        data: { paymentId: 'pay-123', paymentMethod: 'card', errorType: 'insufficient_funds' },
      });
      metrics.trackError('DatabaseError', 'critical');
      metrics.trackAIRequest({
        provider: 'openai',
        model: 'gpt-4',
        operation: 'chat',
        durationSeconds: 1.5,
        status: 'success',
        costCents: 12,
      });
      metrics.trackAIRequest({
        provider: 'openai',
        model: 'gpt-4',
        operation: 'chat',
        durationSeconds: 0.3,
        status: 'error',
        errorType: 'rate_limit',
      });

      const { status, contentType, exposition: e, text } = await scrape(app);
      expect(status).toBe(200);
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      const svc = { service: 'api' };
      expect(e.types).toMatchObject({
        active_users_total: 'gauge',
        generation_success_total: 'counter',
        generation_failure_total: 'counter',
        token_spend_total: 'counter',
        token_cost_usd_total: 'counter',
        payment_conversions_total: 'counter',
        payment_failures_total: 'counter',
        errors_total: 'counter',
        ai_request_duration_seconds: 'histogram',
        ai_requests_total: 'counter',
        ai_requests_error_total: 'counter',
        ai_cost_cents_total: 'counter',
      });
      expect(sampleValue(e, 'active_users_total', svc)).toBe(2);
      expect(sampleValue(e, 'generation_success_total', { ...svc, type: 'image' })).toBe(2);
      expect(
        sampleValue(e, 'generation_failure_total', {
          ...svc,
          type: 'image',
          error_type: 'timeout',
        }),
      ).toBe(1);
      expect(sampleValue(e, 'token_spend_total', { ...svc, model: 'gpt-4', type: 'input' })).toBe(
        1500,
      );
      expect(sampleValue(e, 'token_spend_total', { ...svc, model: 'gpt-4', type: 'output' })).toBe(
        500,
      );
      expect(
        sampleValue(e, 'token_cost_usd_total', { ...svc, model: 'gpt-4', type: 'input' }),
      ).toBeCloseTo(0.045, 10);
      expect(
        sampleValue(e, 'token_cost_usd_total', { ...svc, model: 'gpt-4', type: 'output' }),
      ).toBeCloseTo(0.03, 10);
      expect(text).not.toContain('token_cost_usd_total{model="llama"');
      expect(
        sampleValue(e, 'payment_conversions_total', {
          ...svc,
          payment_method: 'card',
          plan: 'premium',
        }),
      ).toBe(1);
      expect(
        sampleValue(e, 'payment_failures_total', {
          ...svc,
          payment_method: 'card',
          error_type: 'insufficient_funds',
        }),
      ).toBe(1);
      expect(text).not.toContain('pay-123');
      expect(
        sampleValue(e, 'errors_total', {
          ...svc,
          error_type: 'DatabaseError',
          severity: 'critical',
        }),
      ).toBe(1);
      const ai = { ...svc, provider: 'openai', model: 'gpt-4', operation: 'chat' };
      expect(sampleValue(e, 'ai_requests_total', { ...ai, status: 'success' })).toBe(1);
      expect(sampleValue(e, 'ai_requests_total', { ...ai, status: 'error' })).toBe(1);
      expect(sampleValue(e, 'ai_requests_error_total', { ...ai, error_type: 'rate_limit' })).toBe(
        1,
      );
      expect(sampleValue(e, 'ai_cost_cents_total', ai)).toBe(12);
      expect(
        sampleValue(e, 'ai_request_duration_seconds_bucket', { ...ai, status: 'success', le: '1' }),
      ).toBe(0);
      expect(
        sampleValue(e, 'ai_request_duration_seconds_bucket', { ...ai, status: 'success', le: '2' }),
      ).toBe(1);
      expect(sampleValue(e, 'ai_request_duration_seconds_sum', { ...ai, status: 'success' })).toBe(
        1.5,
      );
      expect(
        e.samples
          .filter(
            (s) => s.name === 'ai_request_duration_seconds_bucket' && s.labels.status === 'success',
          )
          .map((s) => s.labels.le),
      ).toEqual(['0.1', '0.5', '1', '2', '5', '10', '30', '60', '+Inf']);
    });

    it('never throws on bad input: drops it, counts it by reason', async () => {
      const app = await start();
      const metrics = app.get(CustomMetricsService);
      expect(() => {
        metrics.trackKPI({ type: 'nope' } as never);
        metrics.trackKPI(undefined as never);
        metrics.trackKPI({
          type: 'token_spend',
          data: { tokens: -5, model: 'gpt-4', type: 'input' },
        });
        metrics.trackTokenSpend(NaN, 'gpt-4', 'input');
        metrics.trackKPI({ type: 'active_user', data: {} as never });
        metrics.trackGenerationSuccess({ evil: true } as never);
        metrics.trackAIRequest({
          provider: 'openai',
          model: 'gpt-4',
          operation: 'chat',
          durationSeconds: Number.POSITIVE_INFINITY,
          status: 'success',
        });
      }).not.toThrow();
      metrics.trackGenerationSuccess(undefined as never);
      const { exposition: e } = await scrape(app);
      const dropped = (reason: string) =>
        sampleValue(e, 'observability_dropped_events_total', { service: 'api', reason });
      expect(dropped('invalid_kpi')).toBe(3);
      expect(dropped('invalid_value')).toBe(3);
      expect(dropped('invalid_label')).toBe(1);
      expect(sampleValue(e, 'generation_success_total', { service: 'api', type: 'unknown' })).toBe(
        1,
      );
      expect(e.samples.filter((s) => s.name === 'token_spend_total')).toEqual([]);
    });
  });

  describe('custom metrics', () => {
    it('applies prefix and default labels, and returns the same metric for the same shape', async () => {
      const app = await start({
        ...base,
        metrics: { ...base.metrics, prefix: 'luneo_', defaultLabels: { region: 'eu' } },
      });
      const metrics = app.get(CustomMetricsService);
      const first = metrics.createCounter({
        name: 'renders_total',
        help: 'Renders.',
        labelNames: ['quality'],
      });
      const second = metrics.createCounter({
        name: 'renders_total',
        help: 'Renders.',
        labelNames: ['quality'],
      });
      expect(second).toBe(first);
      first.inc({ quality: 'hd' });
      second.labels('hd').inc(2);
      metrics.createGauge({ name: 'queue_depth', help: 'Depth.' }).set(7);
      metrics
        .createHistogram({ name: 'render_seconds', help: 'Render.', buckets: [1, 5] })
        .observe(3);
      metrics
        .createSummary({ name: 'payload_bytes', help: 'Bytes.', percentiles: [0.5] })
        .observe(10);
      metrics.trackGenerationSuccess('image');
      const { exposition: e } = await scrape(app);
      const labels = { service: 'api', region: 'eu' };
      expect(sampleValue(e, 'luneo_renders_total', { ...labels, quality: 'hd' })).toBe(3);
      expect(sampleValue(e, 'luneo_queue_depth', labels)).toBe(7);
      expect(sampleValue(e, 'luneo_render_seconds_bucket', { ...labels, le: '5' })).toBe(1);
      expect(
        sampleValue(e, 'luneo_payload_bytes', {
          ...labels,
          quantile: '0.5',
        }),
      ).toBe(10);
      expect(sampleValue(e, 'luneo_generation_success_total', { ...labels, type: 'image' })).toBe(
        1,
      );
      expect(e.samples.filter((s) => !s.name.startsWith('luneo_'))).toEqual([]);
    });

    it('throws a clear error when a name is asked again with another type or labels', async () => {
      const app = await start();
      const metrics = app.get(CustomMetricsService);
      metrics.createCounter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
      expect(() =>
        metrics.createGauge({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] }),
      ).toThrow(
        'Metric "jobs_total" is already registered as a counter with labels [queue]; it was requested again as a gauge with labels [queue].',
      );
      expect(() =>
        metrics.createCounter({
          name: 'jobs_total',
          help: 'Jobs.',
          labelNames: ['queue', 'status'],
        }),
      ).toThrow('requested again as a counter with labels [queue, status]');
      expect(() => metrics.createCounter({ name: 'generation_success_total', help: 'x' })).toThrow(
        'Metric "generation_success_total" is already registered as a counter with labels [type]',
      );
      expect(() => metrics.createCounter({ name: 'bad-name', help: 'x' })).toThrow(
        'Metric name "bad-name" is invalid',
      );
    });

    it('refuses a metric whose OpenMetrics family another metric already has', async () => {
      const app = await start();
      const metrics = app.get(CustomMetricsService);
      metrics.createCounter({ name: 'q_total', help: 'Counted.' });
      expect(() => metrics.createGauge({ name: 'q', help: 'Gauged.' })).toThrow(
        'Metric "q" (gauge) would share the OpenMetrics family "q" with metric "q_total" (counter)',
      );
      metrics.createGauge({ name: 'depth', help: 'Gauged.' });
      expect(() => metrics.createCounter({ name: 'depth_total', help: 'Counted.' })).toThrow(
        'Metric "depth_total" (counter) would share the OpenMetrics family "depth" with metric "depth" (gauge)',
      );
      const open = await scrape(app, { headers: { accept: 'application/openmetrics-text' } });
      expect(open.text.match(/^# TYPE q /gm)).toEqual(['# TYPE q ']);
    });

    it('folds label combinations past maxSeriesPerMetric into the __overflow__ series', async () => {
      const app = await start({ ...base, metrics: { ...base.metrics, maxSeriesPerMetric: 3 } });
      const metrics = app.get(CustomMetricsService);
      const counter = metrics.createCounter({
        name: 'requests_by_user_total',
        help: 'x',
        labelNames: ['user'],
      });
      for (const user of ['a', 'b', 'c', 'd', 'e', 'a', 'd']) counter.inc({ user });
      const { exposition: e } = await scrape(app);
      const series = e.samples.filter((s) => s.name === 'requests_by_user_total');
      expect(series.map((s) => [s.labels.user, s.value])).toEqual([
        ['a', 2],
        ['b', 1],
        ['c', 1],
        ['__overflow__', 3],
      ]);
      expect(
        sampleValue(e, 'observability_label_overflow_total', {
          service: 'api',
          metric: 'requests_by_user_total',
        }),
      ).toBe(3);
    });
  });

  describe('two applications in one process', () => {
    it('keep separate registries and never collide', async () => {
      const one = await start({ ...base, service: 'one' });
      const two = await start({ ...base, service: 'two' });
      one.get(CustomMetricsService).trackGenerationSuccess('image');
      one.get(CustomMetricsService).createCounter({ name: 'shared_total', help: 'x' }).inc(1);
      two.get(CustomMetricsService).createCounter({ name: 'shared_total', help: 'x' }).inc(5);
      const a = (await scrape(one)).exposition;
      const b = (await scrape(two)).exposition;
      expect(sampleValue(a, 'generation_success_total', { service: 'one', type: 'image' })).toBe(1);
      expect(b.samples.filter((s) => s.name === 'generation_success_total')).toEqual([]);
      expect(sampleValue(a, 'shared_total', { service: 'one' })).toBe(1);
      expect(sampleValue(b, 'shared_total', { service: 'two' })).toBe(5);
      expect(metricsUrl(one)).not.toBe(metricsUrl(two));
    });
  });

  describe('forRootAsync', () => {
    it('builds the options from a factory with injected dependencies', async () => {
      const CONFIG = 'CONFIG';
      @Module({
        providers: [{ provide: CONFIG, useValue: { name: 'from-config' } }],
        exports: [CONFIG],
      })
      class ConfigModule {}
      @Module({
        imports: [
          ObservabilityModule.forRootAsync({
            imports: [ConfigModule],
            inject: [CONFIG],
            useFactory: async (config: { name: string }) => ({ ...base, service: config.name }),
          }),
        ],
      })
      class AppModule {}
      const app = await NestFactory.create(AppModule, { logger: false });
      apps.push(app);
      await app.init();
      app.get(CustomMetricsService).trackError('Boom', 'warning');
      const { exposition: e } = await scrape(app);
      expect(
        sampleValue(e, 'errors_total', {
          service: 'from-config',
          error_type: 'Boom',
          severity: 'warning',
        }),
      ).toBe(1);
    });

    it('refuses options without useFactory, useClass or useExisting', () => {
      expect(() => ObservabilityModule.forRootAsync({ imports: [] })).toThrow(
        'ObservabilityModule.forRootAsync() needs one of "useFactory", "useClass" or "useExisting" to build the options.',
      );
    });

    it('fails at boot when the factory returns invalid options, naming the field', async () => {
      @Module({
        imports: [
          ObservabilityModule.forRootAsync({ useFactory: () => ({ metrics: { port: -1 } }) }),
        ],
      })
      class AppModule {}
      await expect(
        NestFactory.create(AppModule, { logger: false, abortOnError: false }),
      ).rejects.toThrow('metrics.port: expected an integer 0-65535, got -1');
    });
  });

  describe('invalid options at boot', () => {
    it('fail with one error naming every bad field', async () => {
      await expect(
        boot({
          metrics: {
            port: 'abc' as never,
            prefix: '1x',
            buckets: { method_duration_seconds: [2, 1] },
          },
        }),
      ).rejects.toThrow(
        [
          'Invalid nestjs-observability options:',
          '  - metrics.port: expected an integer 0-65535, got "abc"',
          '  - metrics.prefix: expected a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*, got "1x"',
          '  - metrics.buckets.method_duration_seconds: expected a non-empty array of finite numbers in strictly increasing order, got [2, 1]',
        ].join('\n'),
      );
    });
  });

  describe('metrics server', () => {
    it('serves /health and refuses other paths and methods', async () => {
      const app = await start();
      const url = metricsUrl(app);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', service: 'api' });
      expect((await fetch(`${url}/nope`)).status).toBe(404);
      const post = await fetch(`${url}/metrics`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    });

    it('answers OpenMetrics when the scraper asks for it', async () => {
      const app = await start();
      app.get(CustomMetricsService).trackGenerationSuccess('text');
      const { contentType, text } = await scrape(app, {
        headers: {
          accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
        },
      });
      expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
      expect(text).toContain('# TYPE generation_success counter\n');
      expect(text).toContain('generation_success_total{type="text",service="api"} 1\n');
      expect(text.endsWith('# EOF\n')).toBe(true);
      // The Prometheus format is unaffected by an OpenMetrics scrape.
      expect((await scrape(app)).text).toContain('# TYPE generation_success_total counter\n');
    });

    it('answers the Prometheus format when OpenMetrics is refused or ranked below text', async () => {
      const app = await start();
      for (const accept of [
        'application/openmetrics-text;q=0',
        'application/openmetrics-text; version=1.0.0; q=0, text/plain',
        'text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5',
        '*/*',
      ]) {
        const { contentType, text } = await scrape(app, { headers: { accept } });
        expect([accept, contentType]).toEqual([accept, 'text/plain; version=0.0.4; charset=utf-8']);
        expect(text.endsWith('# EOF\n')).toBe(false);
      }
      // What Prometheus sends: OpenMetrics ranked first.
      const prometheus =
        'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
      expect((await scrape(app, { headers: { accept: prometheus } })).contentType).toBe(
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
      );
    });

    it('escapes a double quote in HELP text in OpenMetrics, not in the Prometheus format', async () => {
      const app = await start();
      app
        .get(CustomMetricsService)
        .createGauge({ name: 'quoted', help: 'Say "hi" \\ bye.' })
        .set(1);
      const open = await scrape(app, { headers: { accept: 'application/openmetrics-text' } });
      expect(open.text).toContain('# HELP quoted Say \\"hi\\" \\\\ bye.\n');
      expect((await scrape(app)).text).toContain('# HELP quoted Say "hi" \\\\ bye.\n');
    });

    it('protects /metrics with a bearer token', async () => {
      const app = await start({
        ...base,
        metrics: { ...base.metrics, auth: { type: 'bearer', token: 's3cret' } },
      });
      const denied = await scrape(app);
      expect(denied.status).toBe(401);
      expect(
        (await fetch(`${metricsUrl(app)}/metrics`, { headers: { authorization: 'Bearer wrong' } }))
          .status,
      ).toBe(401);
      const allowed = await scrape(app, { headers: { authorization: 'Bearer s3cret' } });
      expect(allowed.status).toBe(200);
      expect((await fetch(`${metricsUrl(app)}/health`)).status).toBe(200);
    });

    it('protects /metrics with basic auth', async () => {
      const app = await start({
        ...base,
        metrics: { ...base.metrics, auth: { type: 'basic', username: 'prom', password: 'pw' } },
      });
      const denied = await fetch(`${metricsUrl(app)}/metrics`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="metrics"');
      const token = Buffer.from('prom:pw').toString('base64');
      expect((await scrape(app, { headers: { authorization: `Basic ${token}` } })).status).toBe(
        200,
      );
    });

    it('fails boot with a clear message when the port is in use', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        await expect(boot({ ...base, metrics: { ...base.metrics, port } })).rejects.toThrow(
          `The metrics server cannot listen on 127.0.0.1:${port} because the port is already in use. ` +
            'Set "metrics.port" (or METRICS_PORT) to a free port, or "metrics.enabled: false" to run without it.',
        );
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });

    it('releases its port on app.close()', async () => {
      const app = await boot();
      const port = app.get(MetricsServer).port!;
      await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'keep-alive' } });
      await app.close();
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    });

    it('keeps serving every series during shutdown, until the last phase', async () => {
      let duringShutdown: { status: number; text: string } | undefined;
      @Injectable()
      class Drainer {
        constructor(readonly metrics: CustomMetricsService) {}
        async beforeApplicationShutdown() {
          this.metrics.trackGenerationSuccess('late');
          const { status, text } = await scrape(app);
          duringShutdown = { status, text };
        }
      }
      @Module({ providers: [Drainer] })
      class DrainModule {}
      const app = await boot(base, [DrainModule]);
      app.get(CustomMetricsService).trackGenerationSuccess('early');
      await app.close();
      expect(duringShutdown?.status).toBe(200);
      expect(duringShutdown?.text).toContain(
        'generation_success_total{type="early",service="api"} 1',
      );
      expect(duringShutdown?.text).toContain(
        'generation_success_total{type="late",service="api"} 1',
      );
    });

    it('starts no server when metrics are disabled, while tracking still works', async () => {
      const app = await start({ ...base, metrics: { enabled: false } });
      expect(app.get(MetricsServer).port).toBeUndefined();
      const metrics = app.get(CustomMetricsService);
      metrics.trackGenerationSuccess('image');
      expect(await metrics.getMetrics()).toContain(
        'generation_success_total{type="image",service="api"} 1',
      );
    });

    it('collects prom-client default metrics into the app registry with the prefix', async () => {
      const app = await start({
        ...base,
        metrics: { ...base.metrics, defaultMetrics: true, prefix: 'app_' },
      });
      const { exposition: e } = await scrape(app);
      expect(e.types.app_process_cpu_user_seconds_total).toBe('counter');
      expect(e.types.app_nodejs_heap_size_used_bytes).toBe('gauge');
      expect(e.samples.find((s) => s.name === 'app_process_resident_memory_bytes')?.labels).toEqual(
        {
          service: 'api',
        },
      );
    });
  });

  describe('@willsoto/nestjs-prometheus metrics', () => {
    @Injectable()
    class LegacyJobs {
      constructor(@InjectMetric('legacy_jobs_total') readonly counter: Counter<string>) {}
    }

    const legacyModule = () => {
      @Module({
        providers: [
          makeCounterProvider({
            name: 'legacy_jobs_total',
            help: 'Legacy jobs.',
            labelNames: ['queue'],
          }),
          LegacyJobs,
        ],
      })
      class LegacyModule {}
      return LegacyModule;
    };

    it('are served on the same endpoint, per application', async () => {
      const one = await start({ ...base, service: 'one' }, [legacyModule()]);
      const two = await start({ ...base, service: 'two' }, [legacyModule()]);
      one.get(LegacyJobs).counter.inc({ queue: 'emails' }, 2);
      two.get(LegacyJobs).counter.inc({ queue: 'emails' }, 7);
      expect(one.get(LegacyJobs).counter).not.toBe(two.get(LegacyJobs).counter);
      const a = (await scrape(one)).exposition;
      const b = (await scrape(two)).exposition;
      expect(sampleValue(a, 'legacy_jobs_total', { service: 'one', queue: 'emails' })).toBe(2);
      expect(sampleValue(b, 'legacy_jobs_total', { service: 'two', queue: 'emails' })).toBe(7);
    });
  });
});
