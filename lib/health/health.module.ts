import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createHealthController } from './health.controller';
import { HealthService } from './health.service';

/**
 * The health capability of one `ObservabilityModule` instance: the endpoints' controller (a
 * fresh class per instance, see `createHealthController`), `HealthService` and Terminus' memory
 * and disk indicators. It reads the resolved options and the metrics registry from the global
 * `ObservabilityModule`.
 *
 * @internal Imported by `ObservabilityModule.forRoot()`/`forRootAsync()`.
 */
@Module({})
export class HealthModule {
  /** A new module definition with its own controller class. */
  static register(): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [createHealthController()],
      providers: [HealthService],
      exports: [HealthService],
    };
  }
}
