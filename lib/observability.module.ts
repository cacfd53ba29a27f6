import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { resolveOptions } from './config/resolve-options';
import { MethodMetricsExplorer } from './decorators/method-metrics.explorer';
import { HttpMetricsService } from './http/http-metrics.service';
import { CustomMetricsService } from './metrics/custom-metrics.service';
import { MetricsRegistry } from './metrics/metrics-registry';
import { MetricsServer } from './metrics/metrics-server.service';
import { WillsotoMetricsExplorer } from './metrics/willsoto-metrics.explorer';
import { OBSERVABILITY_OPTIONS } from './observability.constants';
import { Messages } from './observability.messages';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
} from './observability.module-definition';
import type { ObservabilityModuleOptions } from './observability-options.interface';

/**
 * Production monitoring in one import. Registers, for the whole application (the module is
 * global): `CustomMetricsService` (KPIs and custom metrics), the bindings of
 * `@TrackDuration()`/`@CountCalls()`, and the metrics server on `metrics.port` (9091) with
 * `GET /metrics` and `GET /health`. Each imported instance owns its own prom-client registry.
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
    MetricsRegistry,
    CustomMetricsService,
    MetricsServer,
    MethodMetricsExplorer,
    WillsotoMetricsExplorer,
    HttpMetricsService,
  ],
  exports: [CustomMetricsService, MetricsServer],
})
export class ObservabilityModule extends ConfigurableModuleClass {
  /** Configures the module with static options (environment variables fill the rest). */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Configures the module from a factory, class or existing provider. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!options?.useFactory && !options?.useClass && !options?.useExisting) {
      throw new Error(Messages.asyncOptionsWithoutFactory());
    }
    return super.forRootAsync(options);
  }
}
