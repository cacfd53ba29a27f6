import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { MonitoringCore } from './core/monitoring-core';

/**
 * Runs the core's lifecycle in the application's: error tracking connects at module init, the
 * metrics server and queue watchers start at bootstrap, and everything closes in the last phase
 * of `app.close()`: pending alerts are delivered first, then the rest is released.
 *
 * The alert flush waits for that last phase on purpose. Nest runs `onModuleDestroy`, then
 * `beforeApplicationShutdown` (where the health grace period keeps the application serving
 * after SIGTERM), then closes the HTTP server, then `onApplicationShutdown`. Flushing earlier
 * would stop alerting while requests are still served, and silently lose their alerts.
 *
 * @internal
 */
@Injectable()
export class ObservabilityLifecycle
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  constructor(private readonly core: MonitoringCore) {}

  onModuleInit(): void {
    this.core.init();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.core.bootstrap();
  }

  onApplicationShutdown(): Promise<void> {
    return this.core.close();
  }
}
