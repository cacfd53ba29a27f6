import { AlertingService } from '../alerting/alerting.service';
import { ContextMetrics } from '../contexts/context-metrics';
import { MethodBinder } from '../decorators/method-binder';
import { ErrorTrackingService } from '../errors/error-tracking.service';
import { HttpMetrics } from '../http/http-metrics';
import { activeTraceContext, SENTRY_FOR_NEST } from '../errors/sentry-sdk';
import { type DiagnosticLoggerFactory, pinoDiagnostics } from '../logging/diagnostic-logger';
import { currentContextStore } from '../logging/request-context';
import { StructuredLogger } from '../logging/structured-logger';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { MetricsServer } from '../metrics/metrics-server.service';
import { PushgatewayClient } from '../metrics/pushgateway';
import { Messages } from '../observability.messages';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { QueueMetricsService } from '../queue/queue-metrics.service';
import { ReportService } from '../reports/report.service';
import { DatabaseMetricsService } from '../database/database-metrics.service';
import { CacheMetricsService } from '../cache/cache-metrics.service';
import { otelTraceContext } from '../tracing/active-trace-context';

/** The core of each `Monitoring` and `CustomMetricsService` (no reference keeps either alive). */
const CORES = new WeakMap<object, MonitoringCore>();

/** How a door (the Nest module, or `createMonitoring()`) adapts the core to its host. */
export interface MonitoringCoreSettings {
  /**
   * Where the library reports on itself. The Nest module passes Nest's `Logger`; by default the
   * structured logger writes the lines, with a `context` field.
   */
  log?: DiagnosticLoggerFactory;
  /** The Sentry SDK packages to load, best first. @default ['@sentry/nestjs', '@sentry/node'] */
  sentryPackages?: readonly string[];
  /** Warn when Sentry is initialised at startup rather than by the `instrument` entry. */
  warnLateSentryInit?: boolean;
}

/**
 * Every stateful part of one monitoring instance, wired once from resolved options: the
 * structured logger, the registry and its KPI, queue and method metrics, alerting, error
 * tracking and the metrics server. It imports nothing from Nest; the Nest module and
 * `createMonitoring()` are two doors onto it, so the same call records the same series
 * through either.
 *
 * Its lifecycle has the phases of a Nest application, run in order: {@link init}
 * (`onModuleInit`), {@link bootstrap} (`onApplicationBootstrap`), then {@link close}
 * ({@link drain} and {@link shutdown}, in `onApplicationShutdown`).
 *
 * @internal Reached through `Monitoring` or the Nest module's services.
 */
export class MonitoringCore {
  readonly logs: StructuredLogger;
  readonly log: DiagnosticLoggerFactory;
  readonly registry: MetricsRegistry;
  readonly metrics: CustomMetricsService;
  readonly alerting: AlertingService;
  readonly queues: QueueMetricsService;
  readonly database: DatabaseMetricsService;
  readonly cache: CacheMetricsService;
  readonly errors: ErrorTrackingService;
  readonly server: MetricsServer;
  readonly binder: MethodBinder;
  readonly http: HttpMetrics;
  /** RED metrics of microservice, WebSocket, GraphQL and scheduled handlers. */
  readonly contexts: ContextMetrics;
  /** The Pushgateway client, when `pushgateway` is configured. */
  readonly pusher: PushgatewayClient | undefined;
  /** The reports: from `reports.prometheusUrl` when set, else from this registry. */
  readonly reports: ReportService;
  private closing: Promise<void> | undefined;

  constructor(
    readonly options: ResolvedObservabilityOptions,
    settings: MonitoringCoreSettings = {},
  ) {
    // Without a span, the request's own trace, once error tracking gave it one (Sentry on).
    this.logs = new StructuredLogger(
      options,
      otelTraceContext(() => activeTraceContext() ?? currentContextStore()?.traceIds),
    );
    const log = settings.log ?? pinoDiagnostics(this.logs.root);
    this.log = log;
    this.registry = new MetricsRegistry(options, log);
    this.metrics = new CustomMetricsService(this.registry, log);
    this.alerting = new AlertingService(options, this.registry, this.metrics, log);
    const spike = options.kpi.ai.costSpike;
    this.metrics.onCostSpike(({ currentCents, baselineCents, window }) =>
      this.alerting.alertCostSpike(currentCents / 100, baselineCents / 100, {
        window,
        severity: spike?.severity,
      }),
    );
    this.queues = new QueueMetricsService(this.registry, this.metrics, log, this.alerting);
    this.database = new DatabaseMetricsService(options.database, this.registry, log);
    this.cache = new CacheMetricsService(options.cache, this.registry, log);
    this.errors = new ErrorTrackingService(options, this.metrics, this.logs, {
      log,
      alerting: this.alerting,
      sentryPackages: settings.sentryPackages ?? SENTRY_FOR_NEST,
      warnLateInit: settings.warnLateSentryInit ?? false,
    });
    this.server = new MetricsServer(options, this.registry, log);
    this.binder = new MethodBinder(this.registry, this.queues);
    this.http = new HttpMetrics(options, this.registry, {
      warn: (fields, message) => this.logs.root.warn(fields, message),
      alert: options.http.slowRequestAlert ? (input) => this.alerting.send(input) : undefined,
      requestIdHeader: options.logging.requestIdHeader,
    });
    this.contexts = new ContextMetrics(this.registry, options.metrics.enabled);
    this.pusher = options.pushgateway
      ? new PushgatewayClient(this.registry.registry, options.pushgateway)
      : undefined;
    this.reports = new ReportService({
      prefix: options.metrics.prefix,
      service: options.service,
      prometheusUrl: options.reports.prometheusUrl,
      timeoutMs: options.reports.timeoutMs,
      registry: this.registry.registry,
      alerts: this.alerting,
    });
    CORES.set(this.metrics, this);
  }

  /**
   * The core behind `owner`: a `Monitoring`, a `CustomMetricsService`, or a Nest application
   * (anything with Nest's `get(token, { strict: false })`).
   */
  static of(owner: unknown): MonitoringCore | undefined {
    if (!owner || typeof owner !== 'object') return undefined;
    const known = CORES.get(owner);
    if (known) return known;
    const app = owner as { get?: (token: unknown, options: { strict: boolean }) => unknown };
    if (typeof app.get !== 'function') return undefined;
    try {
      const found = app.get(MonitoringCore, { strict: false });
      return found instanceof MonitoringCore ? found : undefined;
    } catch {
      return undefined;
    }
  }

  /** Makes {@link of} find this core from `owner`. */
  registerOwner(owner: object): void {
    CORES.set(owner, this);
  }

  /** Connects error tracking (Nest: `onModuleInit`). */
  init(): void {
    this.errors.start();
  }

  /** Starts the metrics server and the BullMQ watchers (Nest: `onApplicationBootstrap`). */
  async bootstrap(): Promise<void> {
    await Promise.all([this.queues.start(), this.server.start()]);
  }

  /**
   * Delivers the alerts still pending, for at most `alerting.delivery.shutdownTimeoutMs`. The
   * Nest module runs it in `onApplicationShutdown`, after the health grace period and the HTTP
   * server's close, so alerts raised while the application still serves are delivered.
   */
  drain(): Promise<void> {
    return this.alerting.close();
  }

  /**
   * Releases everything (after {@link drain}): the metrics server closes first and
   * the registry is emptied last, so scrapes during a graceful shutdown still see every series.
   */
  async shutdown(): Promise<void> {
    await this.pushOnExit();
    this.metrics.close();
    await Promise.all([
      this.server.close().then(() => this.registry.dispose()),
      this.errors.close(),
      this.queues.close(),
    ]);
    this.database.close();
    this.cache.close();
    this.logs.close();
  }

  /** The Pushgateway client, or an error saying how to configure it. */
  pushgateway(): PushgatewayClient {
    if (!this.pusher) throw new Error(Messages.pushgatewayNotConfigured());
    return this.pusher;
  }

  /**
   * With `pushgateway.pushOnExit`: pushes the final values, or, with `deleteOnSuccess` and a
   * successful exit (`process.exitCode` unset or 0), deletes the group. A failure is logged: the
   * shutdown goes on.
   */
  private async pushOnExit(): Promise<void> {
    const pusher = this.pusher;
    if (!pusher?.options.pushOnExit) return;
    const code = process.exitCode;
    const succeeded = code === undefined || code === 0 || code === '0';
    try {
      if (pusher.options.deleteOnSuccess && succeeded) await pusher.delete();
      else await pusher.push();
    } catch (error) {
      this.log('Observability').error((error as Error)?.message ?? String(error));
    }
  }

  /** Runs {@link drain} then {@link shutdown}, once. */
  close(): Promise<void> {
    this.closing ??= this.drain().then(() => this.shutdown());
    return this.closing;
  }
}
