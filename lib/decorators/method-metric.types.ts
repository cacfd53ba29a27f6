import type { TrackJobOptions } from '../queue/queue-metrics.types';

/** Options of `@TrackDuration()`. */
export interface TrackDurationOptions {
  /**
   * Help text of the histogram.
   * @default 'Duration of methods decorated with @TrackDuration() in seconds.'
   */
  help?: string;
  /**
   * Constant labels added to every observation of this method, e.g. `{ provider: 'openai' }`.
   * @default {}
   */
  labels?: Record<string, string>;
  /**
   * Histogram buckets in seconds.
   * @default metrics.buckets[name] ?? [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
   */
  buckets?: number[];
}

/** Options of `@CountCalls()`. */
export interface CountCallsOptions {
  /**
   * Help text of the counter.
   * @default 'Calls of methods decorated with @CountCalls() by outcome.'
   */
  help?: string;
  /**
   * Constant labels added to every count of this method.
   * @default {}
   */
  labels?: Record<string, string>;
}

/**
 * Records the outcome of one decorated call. Never throws.
 *
 * `start` (optional) runs before the method with its arguments; what it returns is handed back
 * to `success`/`error` of the same call, so a recorder can keep per-call state (for example the
 * labels of the job being processed) without allocating a closure per call.
 */
export interface MethodRecorder {
  start?(args: readonly unknown[]): unknown;
  success(seconds: number, context?: unknown): void;
  error(seconds: number, error?: unknown, context?: unknown): void;
}

/** What a recorder factory of a custom decorator kind is given at bootstrap. @internal */
export interface RecorderContext {
  /** Name of the decorated instance's class. */
  readonly className: string;
  readonly methodName: string;
  /** The queue metrics of the monitoring instance the decorated object is bound to. */
  readonly queues: {
    jobRecorder(
      queueName: string,
      jobType: string | undefined,
      options: TrackJobOptions,
      methodName: string,
    ): MethodRecorder;
  };
}

/** Builds the recorder of one decorated instance. @internal */
export type RecorderFactory = (context: RecorderContext) => MethodRecorder;

/**
 * What a method decorator declared, kept on the class prototype as metadata. At bootstrap
 * the module binds each decorated instance to a recorder of its own registry.
 * @internal
 */
export interface MethodMetricSpec {
  readonly kind: 'duration' | 'calls' | 'job';
  readonly methodName: string;
  readonly metricName: string | undefined;
  readonly help: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: readonly number[] | undefined;
  /**
   * Builds the recorder for decorators whose metrics live in another capability (`@TrackJob()`);
   * `duration` and `calls` are built by the explorer itself.
   */
  readonly recorder?: RecorderFactory;
  /** Decorated instance (or prototype, for request-scoped classes) -> its recorder. */
  readonly bindings: WeakMap<object, MethodRecorder>;
}

/**
 * Key of the list of `MethodMetricSpec`s declared on a prototype: a registered symbol, so the
 * list needs no reflect-metadata and is the same for every copy of the library in a process.
 */
const METHOD_METRICS = Symbol.for('nestjs-observability:method-metrics');

/** Appends `spec` to the specs declared on `prototype` itself. @internal */
export function declareMethodMetric(prototype: object, spec: MethodMetricSpec): void {
  const declared = methodMetricsOf(prototype) ?? [];
  Object.defineProperty(prototype, METHOD_METRICS, {
    value: [...declared, spec],
    configurable: true,
    enumerable: false,
    writable: false,
  });
}

/** The specs declared on `prototype` itself (not inherited). @internal */
export function methodMetricsOf(prototype: object): readonly MethodMetricSpec[] | undefined {
  return Object.prototype.hasOwnProperty.call(prototype, METHOD_METRICS)
    ? ((prototype as Record<symbol, MethodMetricSpec[]>)[METHOD_METRICS] ?? undefined)
    : undefined;
}
