import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { instrumentInstance } from './tracing-instrument';
import { tracingState } from './tracing-state';

/**
 * The fallback of `tracingInstrument()` for applications created without Nest's `instrument`
 * option (or on a Nest version without it): when tracing is on, adds the same spans to every
 * singleton provider, guard, pipe, interceptor and filter at module init. Route handlers are
 * bound before that hook runs, so their spans need the `instrument` option (or `@Trace()`).
 * Instances already traced through the option are left as they are.
 */
@Injectable()
export class TracingExplorer implements OnModuleInit {
  constructor(private readonly modules: ModulesContainer) {}

  onModuleInit(): void {
    const state = tracingState();
    if (!state) return;
    try {
      for (const module of this.modules.values()) {
        for (const collection of [module.providers, module.injectables, module.controllers]) {
          for (const wrapper of collection.values()) {
            if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) continue;
            if (wrapper.instance) instrumentInstance(wrapper.instance, state.options.providers);
          }
        }
      }
    } catch {
      // tracing never fails the bootstrap
    }
  }
}
