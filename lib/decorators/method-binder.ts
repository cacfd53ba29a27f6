import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { SeriesExemplars } from '../metrics/exemplar-store';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { isTracingActive } from '../tracing/tracing-state';
import type { MethodMetricSpec, MethodRecorder, RecorderContext } from './method-metric.types';
import { methodMetricsOf } from './method-metric.types';

/**
 * Binds objects whose classes have `@TrackDuration()`/`@CountCalls()`/`@TrackJob()` methods to
 * recorders of one monitoring instance's registry. The prototype wrappers look their recorder
 * up through `this`, so two applications in one process record into their own registries.
 * The Nest module binds every provider and controller at bootstrap; without Nest,
 * `monitoring.bind(instance)` does it.
 */
export class MethodBinder {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly queues: RecorderContext['queues'],
  ) {}

  /**
   * Binds `target`: an instance, or (`prototype: true`) a class prototype, whose every instance
   * then records (request-scoped and transient Nest classes). An object already bound keeps its
   * first binding.
   */
  bind(target: object, className: string, prototype = false): void {
    for (
      let proto: object | null = prototype ? target : Object.getPrototypeOf(target);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      for (const spec of methodMetricsOf(proto) ?? []) {
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
          spec.recorder({ className, methodName: spec.methodName, queues: this.queues }),
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
      if (isTracingActive()) {
        // Decided at bind time: an untraced process keeps the plain recorder below.
        const okExemplars = new SeriesExemplars(histogram, { ...labels, status: 'success' });
        const failedExemplars = new SeriesExemplars(histogram, { ...labels, status: 'error' });
        return this.safe({
          success: (s) => {
            ok.observe(s);
            okExemplars.recordActive(s);
          },
          error: (s) => {
            failed.observe(s);
            failedExemplars.recordActive(s);
          },
        });
      }
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
