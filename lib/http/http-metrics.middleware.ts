import { MonitoringCore } from '../core/monitoring-core';
import { Messages } from '../observability.messages';
import type { ExpressMetricsMiddleware, FastifyMetricsHook } from './http-metrics.hooks';
import { expressObserver, fastifyObserver } from './http-metrics.hooks';
import type { HttpMetricsRecorder } from './http-metrics.recorder';
import type { PathMatcher } from './path-matcher';

/** Options of {@link createExpressMetricsMiddleware} and {@link createFastifyMetricsHook}. */
export interface HttpMetricsMiddlewareOptions {
  /**
   * Where the metrics are recorded: a `Monitoring` (without Nest), or a Nest application or
   * its `CustomMetricsService`.
   */
  monitoring: object;
  /**
   * Paths (exact strings or RegExps, matched without the query string) that are not recorded.
   * @default the `http.ignorePaths` option
   */
  ignorePaths?: Array<string | RegExp>;
}

function resolve(
  options: HttpMetricsMiddlewareOptions,
  factory: string,
): { recorder: HttpMetricsRecorder | undefined; ignore: PathMatcher } {
  const core = MonitoringCore.of(options?.monitoring);
  if (!core) throw new Error(Messages.httpMiddlewareWithoutModule(factory));
  const ignore = core.http.ignoreMatcher(options.ignorePaths);
  // Already recording every request of this application: a second observer would count twice.
  return { recorder: core.http.installed ? undefined : core.http.recorder, ignore };
}

/**
 * The Express middleware that records the HTTP RED metrics (`http_requests_total`,
 * `http_request_duration_seconds`, ...), for a plain Express app with `createMonitoring()` or a
 * Nest app that wires them by hand. `ObservabilityModule` already records every request of its
 * application unless `http.enabled` is `false`; while it does, this middleware does nothing,
 * so no request is counted twice. Register it first, so responses sent by earlier middleware
 * are counted too.
 *
 * @example
 * ```ts
 * const monitoring = createMonitoring({ service: 'api' });
 * const app = express();
 * app.use(createExpressMetricsMiddleware({ monitoring, ignorePaths: ['/health'] }));
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
 * const monitoring = createMonitoring({ service: 'api' });
 * const app = Fastify();
 * app.addHook('onRequest', createFastifyMetricsHook({ monitoring }));
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
