import {
  Controller,
  Get,
  type INestApplication,
  Injectable,
  Module,
  type Provider,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import {
  AlertingService,
  CustomMetricsService,
  HealthService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
  QueueMetricsService,
} from 'nestjs-observability';
import type { QueueBacklogEntry } from '../lib/health/indicators/queue-backlog.health';
import { sampleValue } from './utils/exposition';
import { HttpReceiver } from './utils/http-receiver';
import { scrape } from './utils/metrics-client';
import { describeWithRedis, pingRedis, type RedisHandle, startRedis } from './utils/redis-server';

const base: ObservabilityModuleOptions = {
  service: 'api',
  version: '1.2.3',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
};

const adapters = [
  ['Express', () => new ExpressAdapter()],
  ['Fastify', () => new FastifyAdapter()],
] as const;

@Controller()
class BlockingController {
  /** Blocks the event loop for 300 ms, like a synchronous hot loop in user code. */
  @Get('block')
  block(): string {
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy
    }
    return 'blocked';
  }
}

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

describe.each(adapters)('Health endpoints on %s', (_name, createAdapter) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(
    options: ObservabilityModuleOptions = base,
    extra: { providers?: Provider[]; controllers?: Array<new (...args: never[]) => unknown> } = {},
    module = ObservabilityModule.forRoot(options),
    imports: Array<new () => unknown> = [],
  ): Promise<INestApplication> {
    @Module({
      imports: [module, ...imports],
      providers: extra.providers,
      controllers: extra.controllers,
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, createAdapter(), {
      logger: false,
      abortOnError: false,
    });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  async function get(app: INestApplication, path: string): Promise<Reply> {
    const address = app.getHttpServer().address();
    const response = await fetch(`http://127.0.0.1:${address.port}${path}`);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body, headers: response.headers };
  }

  it('serves /health, /health/detailed, /ready and /live, all healthy', async () => {
    const app = await start();

    const health = await get(app, '/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toMatch(/^application\/json/);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(health.body).toEqual({
      status: 'ok',
      service: 'api',
      version: '1.2.3',
      uptimeSeconds: expect.any(Number),
    });

    const eventLoop = { status: 'up', lagMs: expect.any(Number), maxLagMs: 1000 };
    const detailed = await get(app, '/health/detailed');
    expect(detailed.status).toBe(200);
    const builtIns = {
      event_loop: eventLoop,
      memory_heap: { status: 'up' },
      memory_rss: { status: 'up' },
      disk: { status: 'up' },
      metrics_registry: { status: 'up' },
      // AlertingService is part of the module; with no channel configured it logs alerts.
      queues: { status: 'up', queues: {} },
      alerting: { status: 'up', channels: { log: { healthy: true } } },
    };
    expect(detailed.body).toEqual({ status: 'ok', info: builtIns, error: {}, details: builtIns });

    const ready = await get(app, '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });

    const live = await get(app, '/live');
    expect(live.status).toBe(200);
    const liveChecks = { event_loop: eventLoop, memory_heap: { status: 'up' } };
    expect(live.body).toEqual({ status: 'ok', info: liveChecks, error: {}, details: liveChecks });

    const { exposition: e } = await scrape(app);
    const checks = [
      'event_loop',
      'memory_heap',
      'memory_rss',
      'disk',
      'metrics_registry',
      'queues',
      'alerting',
    ];
    for (const check of checks) {
      expect(sampleValue(e, 'health_check_status', { service: 'api', check })).toBe(1);
    }
    // /live and /health/detailed both ran the event-loop and heap checks.
    const count = (check: string) =>
      sampleValue(e, 'health_check_duration_seconds_count', { service: 'api', check });
    expect(count('event_loop')).toBe(2);
    expect(count('memory_heap')).toBe(2);
    expect(count('disk')).toBe(1);
  });

  it('fails a check that hangs past its timeout, and that check only', async () => {
    const indicators = new HealthIndicatorService();
    let hangingCalls = 0;
    const app = await start({
      ...base,
      health: {
        checks: [
          {
            name: 'hangs',
            check: () => {
              hangingCalls++;
              return new Promise(() => undefined);
            },
            timeoutMs: 200,
          },
          { name: 'fast', check: () => indicators.check('fast').up({ latencyMs: 1 }) },
          {
            name: 'throws',
            check: () => Promise.reject(new Error('connection refused')),
          },
          { name: 'garbage', check: () => ({}) as never },
        ],
      },
    });
    const detailed = await get(app, '/health/detailed');
    expect(detailed.status).toBe(503);
    expect(detailed.body.status).toBe('error');
    expect(detailed.body.error).toEqual({
      hangs: { status: 'down', message: 'Health check "hangs" timed out after 200 ms.' },
      throws: { status: 'down', message: 'connection refused' },
      garbage: {
        status: 'down',
        message:
          "Health check \"garbage\" returned no HealthIndicatorResult; return { [key]: { status: 'up' | 'down' } }, e.g. from HealthIndicatorService.check(key).up().",
      },
    });
    expect(detailed.body.info.fast).toEqual({ status: 'up', latencyMs: 1 });
    expect(Object.keys(detailed.body.details).sort()).toEqual(
      [
        'alerting',
        'disk',
        'event_loop',
        'fast',
        'garbage',
        'hangs',
        'memory_heap',
        'memory_rss',
        'metrics_registry',
        'queues',
        'throws',
      ].sort(),
    );
    // None of them is critical: readiness and liveness stay up.
    expect((await get(app, '/ready')).status).toBe(200);
    expect((await get(app, '/live')).status).toBe(200);

    const { exposition: e } = await scrape(app);
    const svc = { service: 'api' };
    expect(sampleValue(e, 'health_check_status', { ...svc, check: 'hangs' })).toBe(0);
    expect(sampleValue(e, 'health_check_status', { ...svc, check: 'throws' })).toBe(0);
    expect(sampleValue(e, 'health_check_status', { ...svc, check: 'fast' })).toBe(1);
    expect(sampleValue(e, 'health_check_duration_seconds_count', { ...svc, check: 'hangs' })).toBe(
      1,
    );
    // The next probe times out again, without a second pending call to the hung dependency.
    const again = await get(app, '/health/detailed');
    expect(again.body.error.hangs).toEqual(detailed.body.error.hangs);
    expect(hangingCalls).toBe(1);
  });

  it('gates /ready on critical checks and readiness checks only', async () => {
    const indicators = new HealthIndicatorService();
    let dbUp = true;
    const app = await start({
      ...base,
      health: {
        checks: [
          {
            name: 'database',
            critical: true,
            check: () => (dbUp ? indicators.check('db').up() : indicators.check('db').down('gone')),
          },
          { name: 'search', check: () => indicators.check('search').down({ message: 'slow' }) },
        ],
      },
    });
    expect(await get(app, '/ready')).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        info: { database: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' } },
      },
    });
    dbUp = false;
    const ready = await get(app, '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      status: 'error',
      info: {},
      error: { database: { status: 'down', message: 'gone' } },
      details: { database: { status: 'down', message: 'gone' } },
    });
  });

  it('reports memory, disk and event-loop thresholds; /live fails on heap or lag only', async () => {
    const app = await start(
      {
        ...base,
        health: {
          memory: { heapUsedThresholdBytes: 1, rssThresholdBytes: 1 },
          disk: { thresholdPercent: 0.000001 },
          eventLoop: { maxLagMs: 100 },
        },
      },
      { controllers: [BlockingController] },
    );
    expect((await get(app, '/block')).body).toBe('blocked');
    const live = await get(app, '/live');
    expect(live.status).toBe(503);
    expect(Object.keys(live.body.error).sort()).toEqual(['event_loop', 'memory_heap']);
    expect(live.body.error.event_loop).toEqual({
      status: 'down',
      lagMs: expect.any(Number),
      maxLagMs: 100,
      message: expect.stringMatching(
        /^The event loop was blocked for \d+ ms, more than health\.eventLoop\.maxLagMs \(100 ms\)\.$/,
      ),
    });
    expect(live.body.error.event_loop.lagMs).toBeGreaterThan(100);
    expect(live.body.error.memory_heap).toEqual({
      status: 'down',
      message: 'Used heap exceeded the set threshold',
    });
    const detailed = await get(app, '/health/detailed');
    expect(detailed.status).toBe(503);
    expect(Object.keys(detailed.body.error).sort()).toEqual([
      'disk',
      'event_loop',
      'memory_heap',
      'memory_rss',
    ]);
    expect(detailed.body.info).toEqual({
      metrics_registry: { status: 'up' },
      queues: { status: 'up', queues: {} },
      alerting: { status: 'up', channels: { log: { healthy: true } } },
    });
    // Liveness never depends on the process' dependencies, and readiness not on the process.
    expect((await get(app, '/ready')).status).toBe(200);
  });

  it('checks the queue backlog the module reads', async () => {
    let backlog: QueueBacklogEntry[] = [
      { queueName: 'email', waiting: 3, oldestWaitSeconds: 12 },
      { queueName: 'render', waiting: 0, oldestWaitSeconds: 0 },
    ];
    const app = await start({
      ...base,
      health: { queues: { maxWaiting: 10, maxOldestWaitSeconds: 60 } },
    });
    // The module's own service is what the indicator reads: fill the backlog.
    jest
      .spyOn(app.get(QueueMetricsService), 'getBacklogSnapshot')
      .mockImplementation(async () => backlog);
    let detailed = await get(app, '/health/detailed');
    expect(detailed.status).toBe(200);
    expect(detailed.body.info.queues).toEqual({
      status: 'up',
      queues: {
        email: { waiting: 3, oldestWaitSeconds: 12 },
        render: { waiting: 0, oldestWaitSeconds: 0 },
      },
    });

    backlog = [
      { queueName: 'email', waiting: 11, oldestWaitSeconds: 12 },
      { queueName: 'render', waiting: 0, oldestWaitSeconds: 61 },
    ];
    detailed = await get(app, '/health/detailed');
    expect(detailed.status).toBe(503);
    expect(detailed.body.error.queues).toEqual({
      status: 'down',
      queues: {
        email: { waiting: 11, oldestWaitSeconds: 12 },
        render: { waiting: 0, oldestWaitSeconds: 61 },
      },
      message:
        'Queue "email" has 11 waiting jobs, more than health.queues.maxWaiting (10). ' +
        'The oldest job of queue "render" has waited 61 s, more than health.queues.maxOldestWaitSeconds (60 s).',
    });
    // The backlog is an operational signal, not a reason to restart or unroute the pod.
    expect((await get(app, '/ready')).status).toBe(200);
    expect((await get(app, '/live')).status).toBe(200);
  });

  it('reports a real open circuit breaker of a failing channel as alerting down', async () => {
    const receiver = await HttpReceiver.start();
    receiver.setDefault({ status: 500, body: 'down' });
    try {
      const app = await start({
        ...base,
        alerting: {
          channels: { webhook: { url: receiver.url('/hook') } },
          delivery: { maxRetries: 0, breakerThreshold: 2, breakerCooldownMs: 600_000 },
        },
      });
      let detailed = await get(app, '/health/detailed');
      expect(detailed.body.info.alerting).toEqual({
        status: 'up',
        channels: { webhook: { healthy: true } },
      });
      const alerting = app.get(AlertingService);
      alerting.send({ name: 'First', severity: 'warning', summary: 'one' });
      alerting.send({ name: 'Second', severity: 'warning', summary: 'two' });
      await alerting.whenIdle();
      expect(receiver.requests).toHaveLength(2);

      detailed = await get(app, '/health/detailed');
      expect(detailed.status).toBe(503);
      expect(detailed.body.error.alerting).toEqual({
        status: 'down',
        channels: {
          webhook: {
            healthy: false,
            reason: 'circuit open after 2 consecutive failed deliveries',
          },
        },
        message:
          'Alert channel "webhook" is unhealthy: circuit open after 2 consecutive failed deliveries.',
      });
      // Alerting is an operational signal, not a reason to restart or unroute the pod.
      expect((await get(app, '/ready')).status).toBe(200);
      expect((await get(app, '/live')).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });

  it('lists the built-in checks, queues and alert channels included', async () => {
    @Injectable()
    class Drain {
      constructor(readonly health: HealthService) {}
    }
    @Module({ providers: [Drain], exports: [Drain] })
    class FeatureModule {}
    const app = await start(base, {}, ObservabilityModule.forRoot(base), [FeatureModule]);
    // HealthService is injectable in any module, like the rest of the global module's API.
    expect(app.get(Drain).health).toBe(app.get(HealthService));
    expect(app.get(Drain).health.isShuttingDown).toBe(false);
    expect(app.get(HealthService).checkNames).toEqual([
      'event_loop',
      'memory_heap',
      'memory_rss',
      'disk',
      'metrics_registry',
      'queues',
      'alerting',
    ]);
  });

  it('serves configurable paths; two apps in one process keep their own', async () => {
    const custom = await start({
      ...base,
      service: 'custom',
      health: {
        paths: { health: '/hc', detailed: '/hc/all', ready: '/probes/ready', live: '/probes/live' },
      },
    });
    const plain = await start();
    expect((await get(custom, '/hc')).body.service).toBe('custom');
    expect((await get(custom, '/hc/all')).status).toBe(200);
    expect((await get(custom, '/probes/ready')).status).toBe(200);
    expect((await get(custom, '/probes/live')).status).toBe(200);
    for (const path of ['/health', '/health/detailed', '/ready', '/live']) {
      expect((await get(custom, path)).status).toBe(404);
      expect((await get(plain, path)).status).toBe(200);
    }
    expect((await get(plain, '/hc')).status).toBe(404);
    expect((await get(plain, '/health')).body.service).toBe('api');
  });

  it('shares one evaluation among 50 concurrent /health/detailed calls at 10k series; /live stays 200', async () => {
    const indicators = new HealthIndicatorService();
    const app = await start({
      ...base,
      health: {
        // Long enough that every call of the flood arrives while the first evaluation runs.
        checks: [
          {
            name: 'slow_dependency',
            timeoutMs: 5000,
            check: async () => {
              await new Promise((resolve) => setTimeout(resolve, 300));
              return indicators.check('slow_dependency').up();
            },
          },
        ],
      },
    });
    const gauge = app.get(CustomMetricsService).createGauge({
      name: 'tenant_items',
      help: 'Items per tenant',
      labelNames: ['tenant'],
    });
    for (let i = 0; i < 10_000; i++) gauge.set({ tenant: `t${i}` }, i);

    const detailed = Array.from({ length: 50 }, () => get(app, '/health/detailed'));
    const live: Array<Promise<Reply>> = [];
    for (let i = 0; i < 10; i++) {
      live.push(get(app, '/live'));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await Promise.all(detailed)).map((r) => r.status)).toEqual(Array(50).fill(200));
    expect((await Promise.all(live)).map((r) => r.status)).toEqual(Array(10).fill(200));

    const { exposition: e } = await scrape(app);
    const count = (check: string) =>
      sampleValue(e, 'health_check_duration_seconds_count', { service: 'api', check });
    expect(count('metrics_registry')).toBe(1);
    expect(count('slow_dependency')).toBe(1);
  });

  it('protects /health/detailed with health.detailedToken; /health, /live and /ready stay open', async () => {
    const token = 'detailed-s3cret-token';
    const app = await start({ ...base, health: { detailedToken: token } });
    const address = app.getHttpServer().address();
    const detailed = (authorization?: string) =>
      fetch(`http://127.0.0.1:${address.port}/health/detailed`, {
        headers: authorization === undefined ? {} : { authorization },
      });

    const anonymous = await detailed();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.text()).not.toContain('metrics_registry');
    expect((await detailed('Bearer wrong-token-value')).status).toBe(401);
    expect((await detailed(token)).status).toBe(401);
    const allowed = await detailed(`bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { details: object }).details).toHaveProperty(
      'metrics_registry',
    );
    for (const path of ['/health', '/live', '/ready']) {
      expect((await get(app, path)).status).toBe(200);
    }
  });

  it('registers nothing with health.enabled: false', async () => {
    const app = await start({ ...base, health: { enabled: false } });
    for (const path of ['/health', '/health/detailed', '/ready', '/live']) {
      expect((await get(app, path)).status).toBe(404);
    }
    const { exposition: e } = await scrape(app);
    expect(e.samples.filter((s) => s.name.startsWith('health_check'))).toEqual([]);
  });

  it('answers 503 on /ready as soon as the app starts closing, while /live stays 200', async () => {
    const app = await start({ ...base, health: { shutdownGracePeriodMs: 1500 } });
    expect((await get(app, '/ready')).status).toBe(200);
    apps.splice(apps.indexOf(app), 1);
    // What `enableShutdownHooks()` does on SIGTERM (the real signal is tested in a child process).
    const closed = (app as unknown as { close(signal: string): Promise<void> }).close('SIGTERM');
    let ready: Reply | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      ready = await get(app, '/ready');
      if (ready.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ready).toEqual(
      expect.objectContaining({
        status: 503,
        body: {
          status: 'shutting_down',
          info: {},
          error: { shutdown: { status: 'down', message: 'The application is shutting down.' } },
          details: { shutdown: { status: 'down', message: 'The application is shutting down.' } },
        },
      }),
    );
    expect(app.get(HealthService).isShuttingDown).toBe(true);
    const live = await get(app, '/live');
    expect(live.status).toBe(200);
    expect((await get(app, '/health')).status).toBe(200);
    // Metrics keep being recorded and served during the grace period.
    const { exposition: e } = await scrape(app);
    expect(sampleValue(e, 'health_check_status', { service: 'api', check: 'event_loop' })).toBe(1);
    expect(
      sampleValue(e, 'health_check_duration_seconds_count', {
        service: 'api',
        check: 'event_loop',
      }),
    ).toBe(1);
    await closed;
  });

  it('takes user checks from DI through forRootAsync', async () => {
    const app = await start(
      undefined,
      {},
      ObservabilityModule.forRootAsync({
        imports: [TerminusModule],
        inject: [HealthIndicatorService],
        useFactory: (indicators: HealthIndicatorService) => ({
          ...base,
          health: {
            readiness: [{ name: 'cache', check: () => indicators.check('cache').up() }],
            paths: { ready: '/readyz' },
          },
        }),
      }),
    );
    expect((await get(app, '/readyz')).body).toEqual({
      status: 'ok',
      info: { cache: { status: 'up' } },
      error: {},
      details: { cache: { status: 'up' } },
    });
    expect((await get(app, '/ready')).status).toBe(404);
  });

  describeWithRedis('with a real redis-server as a readiness check', () => {
    let redis: RedisHandle | undefined;
    afterEach(async () => {
      await redis?.stop();
      redis = undefined;
    });

    it('turns /ready and /health/detailed 503 naming redis when it stops; /live stays 200', async () => {
      redis = await startRedis();
      const { port } = redis;
      const indicators = new HealthIndicatorService();
      const app = await start({
        ...base,
        health: {
          readiness: [
            {
              name: 'redis',
              timeoutMs: 1000,
              check: async () =>
                (await pingRedis(port))
                  ? indicators.check('redis').up()
                  : indicators.check('redis').down({ message: 'PING failed' }),
            },
          ],
        },
      });
      const up = { redis: { status: 'up' } };
      expect(await get(app, '/ready')).toMatchObject({
        status: 200,
        body: { status: 'ok', info: up, error: {}, details: up },
      });
      const detailed = await get(app, '/health/detailed');
      expect(detailed.status).toBe(200);
      expect(detailed.body.info.redis).toEqual({ status: 'up' });
      let { exposition: e } = await scrape(app);
      expect(sampleValue(e, 'health_check_status', { service: 'api', check: 'redis' })).toBe(1);

      await redis.stop();

      const down = { redis: { status: 'down', message: 'PING failed' } };
      expect(await get(app, '/ready')).toMatchObject({
        status: 503,
        body: { status: 'error', info: {}, error: down, details: down },
      });
      const failed = await get(app, '/health/detailed');
      expect(failed.status).toBe(503);
      expect(failed.body.status).toBe('error');
      expect(failed.body.error).toEqual(down);
      expect(Object.keys(failed.body.info).sort()).toEqual([
        'alerting',
        'disk',
        'event_loop',
        'memory_heap',
        'memory_rss',
        'metrics_registry',
        'queues',
      ]);
      expect((await get(app, '/live')).status).toBe(200);

      ({ exposition: e } = await scrape(app));
      const svc = { service: 'api' };
      expect(sampleValue(e, 'health_check_status', { ...svc, check: 'redis' })).toBe(0);
      expect(sampleValue(e, 'health_check_status', { ...svc, check: 'disk' })).toBe(1);
      expect(
        sampleValue(e, 'health_check_duration_seconds_count', { ...svc, check: 'redis' }),
      ).toBe(4);
    });
  });
});
