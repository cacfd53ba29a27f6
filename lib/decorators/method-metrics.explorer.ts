import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { MonitoringCore } from '../core/monitoring-core';

/**
 * Binds every provider and controller of the application with `@TrackDuration()`,
 * `@CountCalls()` or `@TrackJob()` methods to this module's recorders (the core's
 * `MethodBinder`).
 */
@Injectable()
export class MethodMetricsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly core: MonitoringCore,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) this.bind(wrapper);
  }

  private bind(wrapper: InstanceWrapper): void {
    const metatype = wrapper.metatype as { prototype?: object; name?: string } | null | undefined;
    const { instance } = wrapper;
    const isStatic = wrapper.isDependencyTreeStatic() && !wrapper.isTransient;
    // Request-scoped and transient classes get a new instance per request or consumer,
    // so they are bound through their prototype.
    if (isStatic) {
      if (!instance || typeof instance !== 'object') return;
      const className = (instance as object).constructor?.name || 'anonymous';
      this.core.binder.bind(instance as object, className);
    } else if (metatype?.prototype) {
      this.core.binder.bind(metatype.prototype, metatype.name || 'anonymous', true);
    }
  }
}
