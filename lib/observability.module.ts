import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { createAlertsAdminController } from './alerting/alerts-admin.controller';
import { AlertsAdminGuard } from './alerting/alerts-admin.guard';
import { AlertingService } from './alerting/alerting.service';
import { MonitoringCore } from './core/monitoring-core';
import { ContextsExplorer } from './contexts/contexts.explorer';
import { ObservabilityLifecycle } from './observability.lifecycle';
import { resolveOptions } from './config/resolve-options';
import { MethodMetricsExplorer } from './decorators/method-metrics.explorer';
import { ErrorTrackingService } from './errors/error-tracking.service';
import { SENTRY_FOR_NEST } from './errors/sentry-sdk';
import { ObservabilityExceptionFilter } from './errors/observability-exception.filter';
import { UserFiltersReporter } from './errors/user-filters.reporter';
import { createHealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { RequestContextHook } from './logging/request-context.hook';
import { StructuredNestLogger } from './logging/structured-nest.logger';
import { StructuredLogger } from './logging/structured-logger';
import { HttpMetricsHook } from './http/http-metrics.hook';
import { CustomMetricsService } from './metrics/custom-metrics.service';
import { MetricsRegistry } from './metrics/metrics-registry';
import { MetricsServer } from './metrics/metrics-server.service';
import { WillsotoMetricsExplorer } from './metrics/willsoto-metrics.explorer';
import {
  ALERTING_SERVICE_TOKEN,
  OBSERVABILITY_OPTIONS,
  QUEUE_METRICS_TOKEN,
} from './observability.constants';
import { Messages } from './observability.messages';
import { QueueMetricsService } from './queue/queue-metrics.service';
import { createReportsController } from './reports/reports.controller';
import { ReportService } from './reports/report.service';
import { DatabaseMetricsService } from './database/database-metrics.service';
import { CacheMetricsService } from './cache/cache-metrics.service';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
} from './observability.module-definition';
import type {
  ObservabilityModuleOptions,
  ResolvedObservabilityOptions,
} from './observability-options.interface';
import { TracingExplorer } from './tracing/tracing.explorer';

/**
 * Production monitoring in one import. Registers, for the whole application (the module is
 * global): `CustomMetricsService` (KPIs and custom metrics), `QueueMetricsService` (queue and
 * job metrics, BullMQ queues of `queues.bullmq`), the bindings of
 * `@TrackDuration()`/`@CountCalls()`/`@TrackJob()`, and the metrics server on `metrics.port`
 * (9091) with `GET /metrics` and `GET /health`, and on the application's own server the health
 * endpoints `/health`, `/health/detailed`, `/ready` and `/live` (`HealthService`) with graceful
 * shutdown; structured JSON logs (`useStructuredLogger(app)` routes Nest's own logs there) with a
 * request id on every request; `ErrorTrackingService` and a global exception filter that reports errors to
 * Sentry when `SENTRY_DSN` is set; `AlertingService`. Each imported instance owns its own
 * prom-client registry.
 *
 * Invalid options fail at boot with one error naming every bad field.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [ObservabilityModule.forRoot({ service: 'api', environment: process.env.NODE_ENV })],
 * })
 * export class AppModule {}
 *
 * // or, from configuration:
 * ObservabilityModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ service: config.get('SERVICE_NAME') }),
 * });
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: OBSERVABILITY_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: ObservabilityModuleOptions) => resolveOptions(options),
    },
    // One framework-free core per module instance; the services below are its parts.
    {
      provide: MonitoringCore,
      inject: [OBSERVABILITY_OPTIONS],
      useFactory: (options: ResolvedObservabilityOptions) =>
        new MonitoringCore(options, {
          log: (context) => new Logger(context),
          sentryPackages: SENTRY_FOR_NEST,
          warnLateSentryInit: true,
        }),
    },
    ObservabilityLifecycle,
    fromCore(MetricsRegistry, (core) => core.registry),
    fromCore(CustomMetricsService, (core) => core.metrics),
    fromCore(MetricsServer, (core) => core.server),
    fromCore(AlertingService, (core) => core.alerting),
    fromCore(QueueMetricsService, (core) => core.queues),
    fromCore(DatabaseMetricsService, (core) => core.database),
    fromCore(CacheMetricsService, (core) => core.cache),
    fromCore(StructuredLogger, (core) => core.logs),
    fromCore(ErrorTrackingService, (core) => core.errors),
    fromCore(ReportService, (core) => core.reports),
    MethodMetricsExplorer,
    WillsotoMetricsExplorer,
    ContextsExplorer,
    { provide: ALERTING_SERVICE_TOKEN, useExisting: AlertingService },
    AlertsAdminGuard,
    // The health `queues` indicator reads the backlog of every watched or hand-set queue.
    { provide: QUEUE_METRICS_TOKEN, useExisting: QueueMetricsService },
    { provide: APP_FILTER, useClass: ObservabilityExceptionFilter },
    // Errors answered by your own filters are reported by wrapping those filters' `catch`, not
    // by a global interceptor, which would cost every request of the app (BENCHMARKS.md). The
    // reporter decides from the resolved options, so `forRoot` and `forRootAsync` behave alike.
    UserFiltersReporter,
    HttpMetricsHook,
    TracingExplorer,
  ],
  // Only the services users inject: the options, the registry and the core stay inside.
  exports: [
    CustomMetricsService,
    MetricsServer,
    ErrorTrackingService,
    StructuredLogger,
    AlertingService,
    QueueMetricsService,
    ReportService,
    DatabaseMetricsService,
    CacheMetricsService,
  ],
})
export class ObservabilityModule extends ConfigurableModuleClass {
  /**
   * Configures the module with static options. Environment variables fill the rest when the
   * application is created, not when this is called, so a `ConfigModule` listed after this
   * module has loaded its `.env` file by then.
   */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return withCapabilities(super.forRoot(options));
  }

  /** Configures the module from a factory, class or existing provider. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!options?.useFactory && !options?.useClass && !options?.useExisting) {
      throw new Error(Messages.asyncOptionsWithoutFactory());
    }
    return withCapabilities(super.forRootAsync(options));
  }
}

/** A provider of the core's part `pick` under the class token `token`. */
function fromCore<T>(
  token: abstract new (...args: never[]) => T,
  pick: (core: MonitoringCore) => T,
) {
  return { provide: token, inject: [MonitoringCore], useFactory: pick };
}

/**
 * Adds the health endpoints and the alerting admin API, each controller a fresh class per
 * module instance: they bind their routes from the resolved options (paths, and no admin route
 * at all when nothing protects the API), so `forRoot()` and `forRootAsync()` behave the same.
 * Health and request logging live in this module rather than in modules of their own, so that
 * the resolved options, the registry and the core are never exported into the application.
 */
function withCapabilities(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    controllers: [
      ...(definition.controllers ?? []),
      createHealthController(),
      createAlertsAdminController(),
      createReportsController(),
    ],
    providers: [
      ...(definition.providers ?? []),
      HealthService,
      // Nest's side of structured logging: the request hook, and the LoggerService that
      // `useStructuredLogger(app)` installs.
      RequestContextHook,
      StructuredNestLogger,
    ],
    imports: [...(definition.imports ?? []), TerminusModule.forRoot({ logger: false })],
    exports: [...(definition.exports ?? []), HealthService],
  };
}
