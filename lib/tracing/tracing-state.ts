import { trace } from '@opentelemetry/api';
import type { ServerSpans } from './server-span';
import type { ResolvedTracingOptions } from './tracing-options.interface';

/** What {@link startTracing} set up, for the parts that read it later (the Nest hook, exemplars). */
export interface TracingState {
  /** @internal */
  readonly options: ResolvedTracingOptions;
  /** Who owns the tracer provider: this library, or Sentry (which exports through our processor). */
  readonly owner: 'nestjs-observability' | 'sentry';
  /**
   * The HTTP server spans, when this library owns the provider and traces HTTP: Nest
   * adapters hand their requests to it. @internal
   */
  readonly serverSpans?: ServerSpans;
  /** Exports what is queued and stops. */
  shutdown(): Promise<void>;
  /** Exports what is queued now. */
  flush(): Promise<void>;
}

/**
 * Tracing is process-wide by nature (OpenTelemetry's tracer provider and context manager are
 * globals of `@opentelemetry/api`), so its state is too; everything per application (metrics,
 * logs) stays per application.
 */
let current: TracingState | undefined;

/** The state of the tracing {@link startTracing} started, if any. @internal */
export function tracingState(): TracingState | undefined {
  return current;
}

/** @internal */
export function setTracingState(state: TracingState | undefined): void {
  current = state;
}

/**
 * Whether a child of a local span that records nothing (a trace sampled out) would record
 * nothing either: true when the sampler decides from the parent or from the trace id, as every
 * sampler `startTracing()` configures does except `always_on`, and Sentry's. Unknown providers:
 * false. @internal
 */
export function childrenFollowParent(): boolean {
  return (
    current !== undefined && (current.owner === 'sentry' || current.options.sampler !== 'always_on')
  );
}

/**
 * Whether spans are being recorded in this process: started by this library, or by another
 * OpenTelemetry setup (Sentry with tracing, the OpenTelemetry SDK). Read once at bootstrap by
 * the parts that cost something per call (exemplars), so a process without tracing does no
 * per-request work for it.
 */
export function isTracingActive(): boolean {
  if (current) return true;
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = provider.getDelegate?.() ?? provider;
  const name = (delegate as { constructor?: { name?: string } })?.constructor?.name;
  return name !== undefined && name !== 'NoopTracerProvider';
}
