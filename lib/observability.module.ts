import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { createAlertsAdminController } from './alerting/alerts-admin.controller';
import { AlertsAdminGuard } from './alerting/alerts-admin.guard';
import { AlertingService } from './alerting/alerting.service';
import { Problems } from './config/problems';
import { MonitoringCore } from './core/monitoring-core';
import { ObservabilityLifecycle } from './observability.lifecycle';
import { resolveOptions } from './config/resolve-options';
import { resolveErrorsOptions } from './errors/resolve-errors-options';
import { MethodMetricsExplorer } from './decorators/method-metrics.explorer';
import { ErrorReportingInterceptor } from './errors/error-reporting.interceptor';
import { ErrorTrackingService } from './errors/error-tracking.service';
import { SENTRY_FOR_NEST } from './errors/sentry-sdk';
import { ObservabilityExceptionFilter } from './errors/observability-exception.filter';
import { HealthModule } from './health/health.module';
import { ObservabilityLoggingModule } from './logging/logging.module';
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
    fromCore(StructuredLogger, (core) => core.logs),
    fromCore(ErrorTrackingService, (core) => core.errors),
    MethodMetricsExplorer,
    WillsotoMetricsExplorer,
    { provide: ALERTING_SERVICE_TOKEN, useExisting: AlertingService },
    AlertsAdminGuard,
    // The health `queues` indicator reads the backlog of every watched or hand-set queue.
    { provide: QUEUE_METRICS_TOKEN, useExisting: QueueMetricsService },
    { provide: APP_FILTER, useClass: ObservabilityExceptionFilter },
    HttpMetricsHook,
    TracingExplorer,
  ],
  exports: [
    MonitoringCore,
    CustomMetricsService,
    MetricsServer,
    ErrorTrackingService,
    StructuredLogger,
    MetricsRegistry,
    OBSERVABILITY_OPTIONS,
    AlertingService,
    ALERTING_SERVICE_TOKEN,
    QueueMetricsService,
  ],
})
export class ObservabilityModule extends ConfigurableModuleClass {
  /** Configures the module with static options (environment variables fill the rest). */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return withCapabilities(super.forRoot(options), mayReportErrors(options));
  }

  /** Configures the module from a factory, class or existing provider. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!options?.useFactory && !options?.useClass && !options?.useExisting) {
      throw new Error(Messages.asyncOptionsWithoutFactory());
    }
    return withCapabilities(super.forRootAsync(options), mayReportErrors(undefined));
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
 * Adds the capability modules (the health module is created per module instance) and the
 * alerting admin controller. That controller is always declared, a fresh class per instance: it
 * binds its routes from the resolved options (path, and none at all when nothing protects the
 * API), so `forRoot()` and `forRootAsync()` behave the same.
 */
function withCapabilities(definition: DynamicModule, reportErrors: boolean): DynamicModule {
  return {
    ...definition,
    controllers: [...(definition.controllers ?? []), createAlertsAdminController()],
    // A global interceptor costs every request of the app (Nest then runs each handler through
    // rxjs: 1.4x the CPU of a bare Express request in BENCHMARKS.md), so the one that reports
    // errors answered by your own filters is registered only when errors can be reported.
    providers: [
      ...(definition.providers ?? []),
      ...(reportErrors ? [{ provide: APP_INTERCEPTOR, useClass: ErrorReportingInterceptor }] : []),
    ],
    imports: [...(definition.imports ?? []), HealthModule.register(), ObservabilityLoggingModule],
    exports: [...(definition.exports ?? []), HealthModule],
  };
}

/**
 * Whether error tracking may send anything, by the same rules as the options (a DSN from the
 * options or `SENTRY_DSN`, not switched off). Async options are known only later, so there the
 * environment decides. Invalid values are reported at boot by the options provider, not here.
 */
function mayReportErrors(options: ObservabilityModuleOptions | undefined): boolean {
  return resolveErrorsOptions(options?.errors, process.env, new Problems()).enabled;
}
