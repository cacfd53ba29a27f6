/**
 * One server process of `npm run bench:http` (see bench/http.bench.ts). It boots one variant
 * of the same Nest app on one adapter, listens on a free 127.0.0.1 port and prints
 * `READY <port> <pid>`.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register \
 *     bench/http-server.ts <express|fastify> <variant>
 */
import 'reflect-metadata';
// First, as a user's `import 'nestjs-observability/instrument'`: Sentry must patch before Nest loads.
import { BENCH_DSN } from './http-sentry-preload';
import {
  type CallHandler,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Module,
  type NestInterceptor,
  Param,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  makeCounterProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { ObservabilityModule, tracingInstrument } from 'nestjs-observability';
import { collectDefaultMetrics, type Counter, type Histogram, register } from 'prom-client';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { metricsList } = require('prom-client/lib/defaultMetrics') as { metricsList: string[] };
import { finalize, type Observable } from 'rxjs';
import { INSTRUMENTED_VARIANTS, type Variant, VARIANTS } from './http-variants';

@Controller('users')
class UsersController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { id, name: 'Ada Lovelace' };
  }
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a NestJS team typically writes by hand with @willsoto/nestjs-prometheus. */
@Injectable()
class PeerMetricsInterceptor implements NestInterceptor {
  constructor(
    @Inject('PROM_METRIC_HTTP_REQUESTS_TOTAL') private readonly requests: Counter<string>,
    @Inject('PROM_METRIC_HTTP_REQUEST_DURATION_SECONDS')
    private readonly duration: Histogram<string>,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest();
    const res = context.switchToHttp().getResponse();
    const stop = this.duration.startTimer();
    return next.handle().pipe(
      finalize(() => {
        const raw = res.raw ?? res;
        const labels = {
          method: req.method,
          route: req.route?.path ?? req.routeOptions?.url ?? 'unknown',
          status_code: String(raw.statusCode),
        };
        this.requests.inc(labels);
        stop(labels);
      }),
    );
  }
}

/** The least a global interceptor can do: what registering one costs by itself. */
@Injectable()
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

function variantModule(variant: Variant): DynamicModule {
  const metrics = { port: 0, host: '127.0.0.1' };
  switch (variant) {
    case 'bare':
      return { module: class BareModule {} };
    case 'bare+process':
      collectDefaultMetrics({ register });
      return { module: class BareProcessModule {} };
    case 'bare+process-no-gc':
    case 'bare+process-no-eld': {
      const skip = variant === 'bare+process-no-gc' ? 'gc' : 'eventLoopLag';
      for (const name of metricsList) {
        if (name === skip) continue;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(`prom-client/lib/metrics/${name}`)(register, { eventLoopMonitoringPrecision: 10 });
      }
      return { module: class BareProcessSubsetModule {} };
    }
    case 'interceptor':
      return {
        module: class InterceptorModule {},
        providers: [{ provide: APP_INTERCEPTOR, useClass: PassThroughInterceptor }],
      };
    case 'lib-http':
      return ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { ...metrics, defaultMetrics: false },
        logging: { enabled: false, requestContext: false },
      });
    case 'lib-noreqlog':
      return ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { ...metrics, defaultMetrics: false },
        logging: { requestLogs: false },
      });
    case 'lib-custom':
      return ObservabilityModule.forRoot({
        service: 'bench',
        ...JSON.parse(process.env.BENCH_LIB_OPTIONS ?? '{}'),
        metrics: { ...metrics, ...JSON.parse(process.env.BENCH_LIB_OPTIONS ?? '{}').metrics },
      });
    case 'lib-nolog':
      return ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { ...metrics, defaultMetrics: false },
        logging: { enabled: false },
      });
    case 'lib-noprocess':
      return ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { ...metrics, defaultMetrics: false },
      });
    case 'lib-default':
    case 'lib-trace-off':
    case 'lib-traced':
      return ObservabilityModule.forRoot({ service: 'bench', metrics });
    case 'bare-traced':
    case 'bare-traced-1pct':
    case 'bare-traced-unsampled':
      return { module: class BareTracedModule {} };
    case 'lib-dsn':
      return ObservabilityModule.forRoot({ service: 'bench', metrics, errors: { dsn: BENCH_DSN } });
    case 'peer':
      return {
        module: class PeerModule {},
        imports: [PrometheusModule.register()],
        providers: [
          makeCounterProvider({
            name: 'http_requests_total',
            help: 'HTTP requests',
            labelNames: ['method', 'route', 'status_code'],
          }),
          makeHistogramProvider({
            name: 'http_request_duration_seconds',
            help: 'HTTP request duration',
            labelNames: ['method', 'route', 'status_code'],
            buckets: HTTP_BUCKETS,
          }),
          { provide: APP_INTERCEPTOR, useClass: PeerMetricsInterceptor },
        ],
      };
  }
}

async function main(): Promise<void> {
  const [adapterName, variant] = process.argv.slice(2) as ['express' | 'fastify', Variant];
  if (!(variant in VARIANTS) || !['express', 'fastify'].includes(adapterName)) {
    throw new Error(`usage: http-server.ts <express|fastify> <${Object.keys(VARIANTS).join('|')}>`);
  }
  @Module({ imports: [variantModule(variant)], controllers: [UsersController] })
  class AppModule {}
  const adapter = adapterName === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, {
    logger: false,
    ...(INSTRUMENTED_VARIANTS.includes(variant) && { instrument: tracingInstrument() }),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.stdout.write(`READY ${port} ${process.pid}\n`);
  const stop = async (): Promise<void> => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
}

main().catch((error) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
