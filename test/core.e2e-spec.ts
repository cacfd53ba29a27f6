import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import {
  AlertingService,
  CustomMetricsService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
  QueueMetricsService,
} from 'nestjs-observability';
import {
  createExpressMetricsMiddleware,
  createFastifyMetricsHook,
  createMonitoring,
  CountCalls,
  Monitoring,
  type MonitoringOptions,
  TrackDuration,
  TrackJob,
} from 'nestjs-observability/core';
import { send } from './utils/http-client';
import { LogCapture } from './utils/log-capture';

const options = (service: string, capture = new LogCapture()): MonitoringOptions => ({
  service,
  environment: 'test',
  version: '1.0.0',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
  kpi: { tokenPricing: { 'gpt-4': { completion: 0.06 } } },
  logging: { stream: capture },
});

/** The same calls, through whichever door: the KPI, queue and alert APIs users call. */
interface Doors {
  metrics: Pick<
    CustomMetricsService,
    'trackKPI' | 'trackError' | 'trackAIRequest' | 'createCounter' | 'createHistogram'
  >;
  queues: Pick<
    QueueMetricsService,
    'setActiveJobs' | 'trackQueueFailure' | 'trackJobCompleted' | 'observeWaitTime' | 'setBacklog'
  >;
  alerts: Pick<AlertingService, 'send'>;
}

function drive({ metrics, queues, alerts }: Doors): void {
  metrics.trackKPI({ type: 'active_user', data: { userId: 'u1' } });
  metrics.trackKPI({ type: 'active_user', data: { userId: 'u2' } });
  metrics.trackKPI({ type: 'active_user', data: { userId: 'u1' } });
  metrics.trackKPI({ type: 'generation_success', data: { type: 'image' } });
  metrics.trackKPI({ type: 'generation_failure', data: { type: 'text', errorType: 'timeout' } });
  metrics.trackKPI({
    type: 'token_spend',
    data: { tokens: 1500, model: 'gpt-4', type: 'completion' },
  });
  metrics.trackKPI({ type: 'payment_conversion', data: { paymentMethod: 'card', plan: 'pro' } });
  metrics.trackKPI({
    type: 'payment_failure',
    data: { paymentId: 'p1', paymentMethod: 'card', errorType: 'declined' },
  });
  metrics.trackKPI({ type: 'token_spend', data: { tokens: Number.NaN, model: 'x', type: 'y' } });
  metrics.trackKPI({ type: 'nope' } as never);
  metrics.trackError('TypeError', 'critical');
  metrics.trackAIRequest({
    provider: 'openai',
    model: 'gpt-4',
    operation: 'chat',
    durationSeconds: 1.5,
    status: 'error',
    errorType: 'rate_limit',
    costCents: 12,
  });
  metrics
    .createCounter({ name: 'orders_total', help: 'Orders.', labelNames: ['plan'] })
    .inc({ plan: 'pro' }, 3);
  metrics
    .createHistogram({ name: 'render_seconds', help: 'Render.', buckets: [0.1, 1] })
    .observe(0.5);
  queues.setActiveJobs('images', 2);
  queues.trackQueueFailure('images', 'Timeout');
  queues.trackJobCompleted('images', 'resize');
  queues.observeWaitTime('images', 3);
  queues.setBacklog('images', { waiting: 4, active: 2, oldestWaitSeconds: 30 });
  alerts.send({ name: 'Custom', severity: 'info', summary: 'hello', labels: { a: 'b' } });
}

/** The exposition without the families only one door has (Nest's health and HTTP metrics). */
const comparable = (text: string): string =>
  text
    .split('\n\n')
    .filter((family) => !/^# HELP (health_check_|http_)/.test(family))
    .join('\n\n');

describe('the framework-free core', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  const monitor = (opts: MonitoringOptions): Monitoring => {
    const monitoring = createMonitoring(opts);
    closers.push(() => monitoring.close());
    return monitoring;
  };

  it('gives the same exposition as the Nest module for the same calls', async () => {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          ...options('parity'),
          alerting: { channels: { log: { enabled: true } } },
        } as ObservabilityModuleOptions),
      ],
    })
    class AppModule {}
    const app: INestApplication = await NestFactory.create(AppModule, {
      logger: false,
      abortOnError: false,
    });
    await app.init();
    closers.push(() => app.close());
    drive({
      metrics: app.get(CustomMetricsService),
      queues: app.get(QueueMetricsService),
      alerts: app.get(AlertingService),
    });

    const monitoring = monitor({
      ...options('parity'),
      alerting: { channels: { log: { enabled: true } } },
    });
    drive({ metrics: monitoring.metrics, queues: monitoring.metrics, alerts: monitoring.alerts });

    // Let both deliver the alert, so `alerts_sent_total` is settled on each side.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const nest = comparable(await app.get(CustomMetricsService).getMetrics());
    const core = comparable(await monitoring.getMetrics());
    expect(core).toContain(
      'token_spend_total{model="gpt-4",type="completion",service="parity"} 1500',
    );
    expect(core).toContain('active_users_total{service="parity"} 2');
    expect(core).toContain(
      'observability_dropped_events_total{reason="invalid_kpi",service="parity"} 1',
    );
    expect(core).toContain(
      'observability_dropped_events_total{reason="invalid_value",service="parity"} 1',
    );
    expect(core).toContain('orders_total{plan="pro",service="parity"} 3');
    expect(core).toContain(
      'alerts_sent_total{channel="log",severity="info",status="success",service="parity"} 1',
    );
    // Everything else identical, except the measured delivery time of the alert (its sum and
    // the buckets it falls in): only its count is compared.
    const timeless = (text: string) =>
      text.replace(/^(alert_delivery_duration_seconds_(?:sum|bucket)\{[^}]*\}) .*$/gm, '$1 <t>');
    expect(core).toContain(
      'alert_delivery_duration_seconds_count{service="parity",channel="log"} 2',
    );
    expect(timeless(core)).toEqual(timeless(nest));
  });

  it('fails at construction naming every bad field, without printing a secret', () => {
    expect(() =>
      createMonitoring({
        metrics: { port: 'abc' as never, auth: { type: 'bearer', token: 42 as never } },
        pushgateway: { url: 'ftp://user:hunter2@gateway', jobName: 'a/b' },
      }),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /metrics\.port: expected .*"abc"[\s\S]*pushgateway\.url: expected an http\(s\) URL[\s\S]*pushgateway\.jobName/,
        ),
      }),
    );
    try {
      createMonitoring({ pushgateway: { url: 'ftp://user:hunter2@gateway' } });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(() => new Monitoring({ bogus: true } as never)).toThrow(/bogus: unknown option/);
  });

  it('drops and counts bad KPI values, never throwing into the caller', async () => {
    const capture = new LogCapture();
    const monitoring = monitor(options('bad-input', capture));
    expect(() => {
      monitoring.trackKPI(undefined as never);
      monitoring.trackKPI({ type: 'token_spend', data: { tokens: -1 } } as never);
      monitoring.trackKPI({ type: 'active_user', data: {} } as never);
      monitoring.metrics.trackTokenSpend('12' as never, 'gpt-4', 'input');
      monitoring.metrics.setActiveJobs('q', Number.NaN);
      monitoring.handleError(undefined);
    }).not.toThrow();
    const text = await monitoring.getMetrics();
    expect(text).toContain(
      'observability_dropped_events_total{reason="invalid_kpi",service="bad-input"} 2',
    );
    expect(text).toContain(
      'observability_dropped_events_total{reason="invalid_value",service="bad-input"} 3',
    );
    expect(capture.lines).toContainEqual(
      expect.objectContaining({ context: 'Observability', level: 'warn', service: 'bad-input' }),
    );
  });

  it('serves /metrics, binds decorated plain classes, and reports handled errors', async () => {
    const capture = new LogCapture();
    const monitoring = monitor(options('worker', capture));
    class Generator {
      @TrackDuration(undefined, { buckets: [1] })
      render(): string {
        return 'ok';
      }

      @CountCalls()
      async fail(): Promise<void> {
        throw new Error('no');
      }

      @TrackJob('images', 'resize')
      async resize(): Promise<string> {
        return 'resized';
      }
    }
    const unbound = new Generator();
    const generator = monitoring.bind(new Generator());
    expect(generator.render()).toBe('ok');
    expect(unbound.render()).toBe('ok'); // not bound: runs, records nothing
    await expect(generator.fail()).rejects.toThrow('no');
    await expect(generator.resize()).resolves.toBe('resized');
    monitoring.handleError(new RangeError('out of range'), {
      context: 'import',
      severity: 'warning',
      userId: 42,
    });

    await monitoring.startMetricsServer();
    const scrape = await send(`http://127.0.0.1:${monitoring.metricsPort}`, 'GET', '/metrics');
    expect(scrape.status).toBe(200);
    const lines = scrape.body.split('\n');
    expect(lines).toContain(
      'method_duration_seconds_count{service="worker",class="Generator",method="render",status="success"} 1',
    );
    expect(lines).toContain(
      'method_calls_total{class="Generator",method="fail",status="error",service="worker"} 1',
    );
    expect(lines).toContain(
      'queue_jobs_completed_total{queue_name="images",job_type="resize",service="worker"} 1',
    );
    expect(lines).toContain(
      'errors_total{error_type="RangeError",severity="warning",service="worker"} 1',
    );
    expect(capture.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        error_type: 'RangeError',
        severity: 'warning',
        user_id: 42,
        msg: 'Error in import',
      }),
    );
    const port = monitoring.metricsPort!;
    await monitoring.close();
    await expect(send(`http://127.0.0.1:${port}`, 'GET', '/metrics')).rejects.toThrow();
  });

  it('rejects push() with a clear message when no Pushgateway is configured', async () => {
    const previous = process.env.PUSHGATEWAY_URL;
    delete process.env.PUSHGATEWAY_URL;
    try {
      const monitoring = monitor(options('batch'));
      await expect(monitoring.push()).rejects.toThrow(/PUSHGATEWAY_URL/);
    } finally {
      if (previous !== undefined) process.env.PUSHGATEWAY_URL = previous;
    }
  });

  it('records a plain Express app through createExpressMetricsMiddleware', async () => {
    const monitoring = monitor(options('express-app'));
    const app = express();
    app.use(createExpressMetricsMiddleware({ monitoring, ignorePaths: ['/health'] }));
    app.get('/users/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/health', (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ['/users/1', '/users/2', '/health', '/missing']) {
      await send(base, 'GET', path);
    }
    const text = await monitoring.getMetrics();
    expect(text).toContain(
      'http_requests_total{method="GET",route="/users/:id",status_code="200",service="express-app"} 2',
    );
    expect(text).toContain(
      'http_requests_total{method="GET",route="UNMATCHED",status_code="404",service="express-app"} 1',
    );
    expect(text).not.toContain('route="/health"');
  });

  it('records a plain Fastify app through createFastifyMetricsHook', async () => {
    const monitoring = monitor(options('fastify-app'));
    const app = Fastify();
    app.addHook('onRequest', createFastifyMetricsHook({ monitoring }));
    app.get('/orders/:id', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await send(base, 'GET', '/orders/1');
    await send(base, 'GET', '/orders/2');
    const text = await monitoring.getMetrics();
    expect(text).toContain(
      'http_requests_total{method="GET",route="/orders/:id",status_code="200",service="fastify-app"} 2',
    );
  });

  it('keeps two instances in one process apart', async () => {
    const a = monitor(options('a'));
    const b = monitor(options('b'));
    a.trackKPI({ type: 'generation_success', data: { type: 'image' } });
    expect(await a.getMetrics()).toContain('generation_success_total{type="image",service="a"} 1');
    expect(await b.getMetrics()).not.toContain('generation_success_total{');
  });
});
