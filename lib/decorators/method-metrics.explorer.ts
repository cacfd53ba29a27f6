import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { MethodMetricSpec, MethodRecorder } from './method-metric.types';
import { METHOD_METRICS_METADATA } from './method-metric.types';

/**
 * Binds every instance of a class with `@TrackDuration()`/`@CountCalls()` methods to
 * recorders of this module's registry. The prototype wrappers look their recorder up through
 * `this`, so two applications in one process record into their own registries.
 */
@Injectable()
export class MethodMetricsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: MetricsRegistry,
    private readonly moduleRef: ModuleRef,
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
    const target: object | undefined = isStatic
      ? instance && typeof instance === 'object'
        ? (instance as object)
        : undefined
      : metatype?.prototype;
    if (!target) return;
    const className =
      (isStatic ? (instance as object).constructor?.name : metatype?.name) || 'anonymous';
    for (
      let proto = isStatic ? Object.getPrototypeOf(target) : target;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      const specs: MethodMetricSpec[] | undefined = Reflect.getOwnMetadata(
        METHOD_METRICS_METADATA,
        proto,
      );
      for (const spec of specs ?? []) {
        if (!spec.bindings.has(target)) {
          const recorder = this.recorder(spec, className);
          if (recorder) spec.bindings.set(target, recorder);
        }
      }
    }
  }

  private recorder(spec: MethodMetricSpec, className: string): MethodRecorder | undefined {
    if (spec.recorder) {
      // A decorator of another capability (`@TrackJob()`) builds its own recorder; if it cannot,
      // the method runs unmeasured rather than failing the bootstrap.
      try {
        return this.safe(
          spec.recorder({
            className,
            methodName: spec.methodName,
            get: (token) => this.moduleRef.get(token, { strict: false }),
          }),
        );
      } catch (error) {
        this.metrics.drop('internal_error', (error as Error)?.message ?? String(error));
        return undefined;
      }
    }
    const labels = { class: className, method: spec.methodName, ...spec.labels };
    const labelNames = ['class', 'method', 'status', ...Object.keys(spec.labels)];
    if (spec.kind === 'duration') {
      const definition = MetricCatalog.methodDuration;
      const name = spec.metricName ?? definition.name;
      const buckets =
        spec.buckets ?? this.metrics.options.metrics.buckets[name] ?? definition.buckets;
      const histogram = this.metrics.getOrCreate('histogram', {
        name,
        help: spec.help ?? definition.help,
        labelNames,
        buckets: [...(buckets ?? [])],
      }) as GuardedHistogram;
      const ok = histogram.bind({ ...labels, status: 'success' });
      const failed = histogram.bind({ ...labels, status: 'error' });
      return this.safe({ success: (s) => ok.observe(s), error: (s) => failed.observe(s) });
    }
    const definition = MetricCatalog.methodCalls;
    const counter = this.metrics.getOrCreate('counter', {
      name: spec.metricName ?? definition.name,
      help: spec.help ?? definition.help,
      labelNames,
    }) as GuardedCounter;
    const ok = counter.bind({ ...labels, status: 'success' });
    const failed = counter.bind({ ...labels, status: 'error' });
    return this.safe({ success: () => ok.inc(), error: () => failed.inc() });
  }

  /** A recorder that reports its own failures instead of throwing into the decorated call. */
  private safe(recorder: MethodRecorder): MethodRecorder {
    const report = (error: unknown): void =>
      this.metrics.drop('internal_error', (error as Error)?.message ?? String(error));
    const start = recorder.start?.bind(recorder);
    return {
      start: start
        ? (args) => {
            try {
              return start(args);
            } catch (error) {
              report(error);
              return undefined;
            }
          }
        : undefined,
      success(seconds, context) {
        try {
          recorder.success(seconds, context);
        } catch (error) {
          report(error);
        }
      },
      error(seconds, error, context) {
        try {
          recorder.error(seconds, error, context);
        } catch (failure) {
          report(failure);
        }
      },
    };
  }
}
