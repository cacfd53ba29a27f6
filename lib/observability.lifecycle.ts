import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { MonitoringCore } from './core/monitoring-core';

/**
 * Runs the core's lifecycle in the application's: error tracking connects at module init, the
 * metrics server and queue watchers start at bootstrap, pending alerts are delivered when
 * modules are destroyed, and the rest closes in the last phase of `app.close()`.
 *
 * @internal
 */
@Injectable()
export class ObservabilityLifecycle
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  constructor(private readonly core: MonitoringCore) {}

  onModuleInit(): void {
    this.core.init();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.core.bootstrap();
  }

  onModuleDestroy(): Promise<void> {
    return this.core.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.core.shutdown();
  }
}
