import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { installServerSpans } from './server-span.hook';
import { instrumentInstance } from './tracing-instrument';
import { tracingState } from './tracing-state';

/**
 * The fallback of `tracingInstrument()` for applications created without Nest's `instrument`
 * option (or on a Nest version without it): when tracing is on, hands the adapter's requests
 * to the server spans and adds the same spans to every
 * singleton provider, guard, pipe, interceptor and filter at module init. Route handlers are
 * bound before that hook runs, so their spans need the `instrument` option (or `@Trace()`).
 * Instances already traced through the option are left as they are.
 */
@Injectable()
export class TracingExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly subscription: Subscription | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    adapterHost: HttpAdapterHost,
  ) {
    // The server spans, for applications created without `tracingInstrument()` (which does the
    // same): in the adapter's first request hook, added before Nest registers its routes.
    if (tracingState()?.serverSpans) {
      this.subscription = adapterHost?.init$?.subscribe(() =>
        installServerSpans(adapterHost.httpAdapter),
      );
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

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
