import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AlertingService } from '../alerting/alerting.service';
import { exposeToPrimary } from '../cluster/expose-to-primary';
import { resolveOptions } from '../config/resolve-options';
import type { ErrorContext } from '../errors/error-tracking.types';
import { SENTRY_STANDALONE } from '../errors/sentry-sdk';
import type { KpiEvent } from '../metrics/kpi.types';
import type { ObservabilityModuleOptions } from '../observability-options.interface';
import type { CacheMetricsService } from '../cache/cache-metrics.service';
import type { DatabaseMetricsService } from '../database/database-metrics.service';
import { MonitoringCore } from './monitoring-core';
import { MonitoringMetrics } from './monitoring-metrics';
import type { ReportService } from '../reports/report.service';

/**
 * Options of {@link createMonitoring}: those of `ObservabilityModule.forRoot()` except the
 * Nest-only health endpoints, read with the same environment variables (`SERVICE_NAME`,
 * `METRICS_PORT`, `SENTRY_DSN`, `ALERT_WEBHOOK_URL`, ...) and the same validation.
 */
export type MonitoringOptions = Omit<ObservabilityModuleOptions, 'health'>;

/**
 * Monitoring for any Node process, without Nest: bots, queue workers, batch jobs, plain
 * Express or Fastify servers. One instance owns its own prom-client registry, structured
 * logger, alerting pipeline and error tracking, built by the same code as the Nest module's,
 * so the same calls give the same series.
 *
 * Invalid options throw at construction, naming every bad field. Tracking never throws.
 * Call {@link close} before the process exits: it delivers pending alerts, flushes Sentry and
 * the log, and closes the metrics server.
 *
 * @example
 * ```ts
 * import { Monitoring } from 'nestjs-observability/core';
 *
 * const monitoring = new Monitoring({ service: 'bot' });
 * await monitoring.startMetricsServer(); // GET /metrics on METRICS_PORT (9091)
 *
 * bot.on('message', async (msg) => {
 *   monitoring.trackKpi({ type: 'active_user', data: { userId: String(msg.from.id) } });
 *   try {
 *     await reply(msg);
 *     monitoring.trackKpi({ type: 'generation_success', data: { type: 'text' } });
 *   } catch (error) {
 *     monitoring.trackKpi({ type: 'generation_failure', data: { type: 'text', errorType: (error as Error).name } });
 *     monitoring.handleError(error, { userId: msg.from.id });
 *   }
 * });
 * ```
 */
export class Monitoring {
  /** KPIs, custom metrics and queue metrics. */
  readonly metrics: MonitoringMetrics;
  /** Alerts: `send`, `alertQueueFailure`, `alertPaymentFailure`, `alertCostSpike`, `resolve`. */
  readonly alerts: AlertingService;
  /**
   * The structured JSON logger (pino): `service`, `environment` and `version` on every line,
   * secrets redacted. `logger.info({ userId }, 'Message received')`.
   */
  readonly logger: Logger;
  /** Database metrics: `instrumentPg(pool)`, `instrumentTypeOrm(dataSource)`, `prismaExtension()`. */
  readonly database: DatabaseMetricsService;
  /** Cache metrics: `instrumentCache(cache)` (cache-manager), `instrumentRedis(redis)` (ioredis). */
  readonly cache: CacheMetricsService;
  private readonly core: MonitoringCore;
  private unexpose: (() => void) | undefined;

  constructor(options: MonitoringOptions = {}) {
    const core = new MonitoringCore(resolveOptions(options), {
      sentryPackages: SENTRY_STANDALONE,
      warnLateSentryInit: false,
    });
    this.core = core;
    core.registerOwner(this);
    this.metrics = new MonitoringMetrics(core.metrics, core.queues);
    this.alerts = core.alerting;
    this.logger = core.logs.root;
    this.database = core.database;
    this.cache = core.cache;
    core.init();
  }

  /** The prom-client registry of this instance (for exporters and advanced use). */
  get registry(): Registry {
    return this.core.registry.registry;
  }

  /**
   * The overview (`dashboard`), `business-intelligence` and `performance` reports:
   * `await monitoring.reports.report('performance', { since: '24h' })`. From Prometheus when
   * `reports.prometheusUrl` (`PROMETHEUS_URL`) is set, else from this process since it started.
   */
  get reports(): ReportService {
    return this.core.reports;
  }

  /** The port the metrics server listens on, once started. */
  get metricsPort(): number | undefined {
    return this.core.server.port;
  }

  /** The current exposition text, in the Prometheus text format. */
  getMetrics(): Promise<string> {
    return this.core.registry.metrics();
  }

  /** Tracks one KPI event; the same as `monitoring.metrics.trackKpi(event)`. */
  trackKpi(event: KpiEvent): void {
    this.core.metrics.trackKpi(event);
  }

  /** @deprecated Renamed {@link Monitoring.trackKpi}. */
  trackKPI(event: KpiEvent): void {
    this.core.metrics.trackKpi(event);
  }

  /**
   * Reports an error your code caught: a log line, `errors_total`, a Sentry event when a DSN is
   * set, and an alert when `context.severity` is `critical`. Never throws.
   */
  handleError(error: unknown, context?: ErrorContext): void {
    this.core.errors.handleError(error, context);
  }

  /**
   * Binds an object whose class has `@TrackDuration()`, `@CountCalls()` or `@TrackJob()`
   * methods to this instance: its calls are recorded here from now on. Returns the object.
   *
   * @example
   * ```ts
   * class Generator {
   *   @TrackDuration() async render(prompt: string) { ... }
   * }
   * const generator = monitoring.bind(new Generator());
   * ```
   */
  bind<T extends object>(instance: T): T {
    const className = (instance as { constructor?: { name?: string } }).constructor?.name;
    this.core.binder.bind(instance, className || 'anonymous');
    return instance;
  }

  /**
   * Starts the metrics server (`GET /metrics`, `GET /health` on `metrics.port`, default
   * `METRICS_PORT` or 9091) and the BullMQ watchers of `queues.bullmq`. Rejects naming the port
   * when it is taken. Does nothing when metrics are disabled.
   */
  startMetricsServer(): Promise<void> {
    return this.core.bootstrap();
  }

  /**
   * In a worker of a Node.js cluster: lets the primary's `ClusterMetricsAggregator` collect this
   * instance's metrics (counters and histograms summed over the workers, the active-users
   * sketches merged so a user seen by two workers counts once). Do not start the worker's own
   * metrics server: the aggregator serves the cluster's. Returns `false`, doing nothing, outside
   * a cluster worker, so one bootstrap runs clustered or not.
   *
   * @example
   * ```ts
   * if (cluster.isPrimary) {
   *   await new ClusterMetricsAggregator().start({ port: 9091 });
   *   for (let i = 0; i < os.availableParallelism(); i++) cluster.fork();
   * } else {
   *   const monitoring = createMonitoring({ service: 'api' });
   *   monitoring.exposeToPrimary();
   *   startServer(monitoring);
   * }
   * ```
   */
  exposeToPrimary(): boolean {
    if (this.unexpose) return true;
    const exposure = exposeToPrimary(this.core.registry.registry, {
      activeUsers: () => this.core.metrics.activeUsersSnapshot(),
      activeUsersMetric: this.core.registry.fullName('active_users_total'),
    });
    if (exposure.active) this.unexpose = () => exposure.close();
    return exposure.active;
  }

  /**
   * Pushes every metric to the Pushgateway (`pushgateway` options or `PUSHGATEWAY_URL`),
   * replacing the group's previous push (HTTP PUT). Rejects with a message naming the gateway
   * (credentials masked) when it cannot.
   *
   * @example
   * ```ts
   * const monitoring = createMonitoring({ service: 'nightly-import', pushgateway: { groupings: { shard: '1' } } });
   * await importEverything();
   * await monitoring.push();
   * ```
   */
  async push(): Promise<void> {
    await this.core.pushgateway().push();
  }

  /** Deletes this job's group from the Pushgateway (a finished job leaves no stale series). */
  async deletePushed(): Promise<void> {
    await this.core.pushgateway().delete();
  }

  /**
   * Releases everything, once: delivers pending alerts (at most
   * `alerting.delivery.shutdownTimeoutMs`), pushes to the Pushgateway with `pushOnExit`, stops
   * queue watchers, flushes Sentry and the log, closes the metrics server and empties the
   * registry.
   */
  close(): Promise<void> {
    this.unexpose?.();
    return this.core.close();
  }
}

/**
 * Creates a {@link Monitoring}: the same as `new Monitoring(options)`.
 *
 * @example
 * ```ts
 * const monitoring = createMonitoring({ service: 'worker', environment: process.env.NODE_ENV });
 * ```
 */
export function createMonitoring(options: MonitoringOptions = {}): Monitoring {
  return new Monitoring(options);
}
