import type { INestApplicationContext } from '@nestjs/common';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { Messages } from '../observability.messages';
import { PathMatcher } from './path-matcher';
import type { ExpressMetricsMiddleware, FastifyMetricsHook } from './http-metrics.hooks';
import { expressObserver, fastifyObserver } from './http-metrics.hooks';
import type { HttpMetricsRecorder } from './http-metrics.recorder';
import { HttpMetricsService } from './http-metrics.service';

/** Options of {@link createExpressMetricsMiddleware} and {@link createFastifyMetricsHook}. */
export interface HttpMetricsMiddlewareOptions {
  /** The application, or its `CustomMetricsService`: the metrics are recorded in its registry. */
  monitoring: CustomMetricsService | INestApplicationContext;
  /**
   * Paths (exact strings or RegExps, matched without the query string) that are not recorded.
   * @default the module's `http.ignorePaths`
   */
  ignorePaths?: Array<string | RegExp>;
}

function resolve(
  options: HttpMetricsMiddlewareOptions,
  factory: string,
): { recorder: HttpMetricsRecorder | undefined; ignore: PathMatcher } {
  const { monitoring } = options ?? ({} as HttpMetricsMiddlewareOptions);
  let service: HttpMetricsService | undefined;
  if (monitoring instanceof CustomMetricsService) {
    service = HttpMetricsService.of(monitoring);
  } else if (monitoring && typeof (monitoring as INestApplicationContext).get === 'function') {
    try {
      service = (monitoring as INestApplicationContext).get(HttpMetricsService, { strict: false });
    } catch {
      service = undefined;
    }
  }
  if (!service) throw new Error(Messages.httpMiddlewareWithoutModule(factory));
  const ignore = options.ignorePaths
    ? new PathMatcher(options.ignorePaths)
    : service.ignoreMatcher();
  // Already recording every request of this application: a second observer would count twice.
  return { recorder: service.installed ? undefined : service.recorder, ignore };
}

/**
 * The Express middleware that records the HTTP RED metrics, for applications that wire them
 * by hand (seed API). `ObservabilityModule` already installs the same code on Express and
 * Fastify unless `http.enabled` is `false`; while it does, this middleware does nothing, so no
 * request is counted twice.
 * Register it first, so responses sent by earlier middleware are counted too.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule); // with http: { enabled: false }
 * app.use(createExpressMetricsMiddleware({ monitoring: app, ignorePaths: ['/health', '/metrics'] }));
 * ```
 */
export function createExpressMetricsMiddleware(
  options: HttpMetricsMiddlewareOptions,
): ExpressMetricsMiddleware {
  const { recorder, ignore } = resolve(options, 'createExpressMetricsMiddleware');
  if (!recorder) return (_req, _res, next) => next();
  const observe = expressObserver(recorder, ignore);
  return function observabilityHttpMetrics(req, res, next) {
    observe(req, res);
    next();
  };
}

/**
 * The Fastify `onRequest` hook that records the HTTP RED metrics: the Fastify equivalent of
 * {@link createExpressMetricsMiddleware}, sharing its code.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter());
 * app.getHttpAdapter().getInstance()
 *   .addHook('onRequest', createFastifyMetricsHook({ monitoring: app }));
 * ```
 */
export function createFastifyMetricsHook(
  options: HttpMetricsMiddlewareOptions,
): FastifyMetricsHook {
  const { recorder, ignore } = resolve(options, 'createFastifyMetricsHook');
  if (!recorder) return (_request, _reply, done) => done();
  const observe = fastifyObserver(recorder, ignore);
  return function observabilityHttpMetrics(request, reply, done) {
    observe(request, reply);
    done();
  };
}
