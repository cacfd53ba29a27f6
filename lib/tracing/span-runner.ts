import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { loadOptional } from '../config/optional-module';
import { childrenFollowParent } from './tracing-state';

/** The instrumentation scope of the library's spans. */
export const TRACER_NAME = 'nestjs-observability';

/**
 * The library's tracer, from the global `@opentelemetry/api` provider: the one
 * `startTracing()` registered, or Sentry's. Without tracing it is a no-op tracer.
 * Other parts of an application may use it to add spans of their own.
 */
export function getTracer(): Tracer {
  // Looking the tracer up costs a name lookup per call (every traced method call): it is kept
  // for as long as the global provider is the same object.
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME);
  }
  return cachedTracer!;
}

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

type AnyFunction = (...args: unknown[]) => unknown;

const looksObservable = (value: object): boolean =>
  typeof (value as { subscribe?: unknown }).subscribe === 'function' &&
  typeof (value as { lift?: unknown }).lift === 'function';

/** Ends `span`; a failure of the tracing SDK never reaches the traced call. */
function endSpan(span: Span): void {
  try {
    span.end();
  } catch {
    // the span is lost, the call is not
  }
}

/** Marks `span` failed with `error` (recorded as an exception event) and ends it. */
export function failSpan(span: Span, error: unknown): void {
  try {
    if (error instanceof Error) span.recordException(error);
    else span.recordException(String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    span.end();
  } catch {
    // tracing never fails the traced call
  }
}

/** An Observable that runs `source` inside `span` and ends it on completion or error. */
function observeInSpan(source: object, span: Span, active: Context): unknown {
  const rxjs = loadOptional<typeof import('rxjs')>('rxjs');
  if (!rxjs?.isObservable(source)) {
    endSpan(span);
    return source;
  }
  return new rxjs.Observable((subscriber) =>
    context.with(active, () =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          failSpan(span, error);
          subscriber.error(error);
        },
        complete: () => {
          endSpan(span);
          subscriber.complete();
        },
      }),
    ),
  );
}

/**
 * Calls `fn` on `self` with `args` inside a new active span `name`: synchronous results end
 * the span at once, thenables when they settle, Observables when they complete or error. An
 * error is recorded on the span (status ERROR, exception event) and rethrown untouched.
 * Nothing here throws into the caller: a tracing failure only loses the span.
 */
export function runInSpan(
  tracer: Tracer,
  name: string,
  attributes: Attributes | undefined,
  fn: AnyFunction,
  self: unknown,
  args: unknown[],
  kind: SpanKind = SpanKind.INTERNAL,
): unknown {
  let span: Span | undefined;
  let active: Context | undefined;
  try {
    // One lookup of the caller's context, for the parent, the span and the child's context.
    const caller = context.active();
    // In a trace sampled out, a child would record nothing either: it is not made at all (no
    // id, no sampler call, no context switch); the caller's context already carries the trace.
    const parent = trace.getSpan(caller);
    const sampledOut =
      parent !== undefined &&
      !parent.isRecording() &&
      !parent.spanContext().isRemote &&
      childrenFollowParent();
    if (!sampledOut) {
      span = tracer.startSpan(name, { kind, attributes }, caller);
      // Not sampled: nothing will be recorded, and the caller's context already carries the
      // trace (and its "not sampled" flag) to whatever the method calls, so skip the context
      // switch, which is what costs (AsyncLocalStorage).
      if (span.isRecording()) active = trace.setSpan(caller, span);
    }
  } catch {
    // a tracing failure (`active` is still unset): the call runs untraced
    if (span) endSpan(span);
  }
  // Outside the try above: an error of the method itself is never taken for a tracing failure
  // (the method would run twice).
  if (!span || !active) return Reflect.apply(fn, self, args);
  let result: unknown;
  try {
    result = context.with(active, () => Reflect.apply(fn, self, args));
  } catch (error) {
    failSpan(span, error);
    throw error;
  }
  if (result !== null && typeof result === 'object') {
    if (typeof (result as PromiseLike<unknown>).then === 'function') {
      return (result as PromiseLike<unknown>).then(
        (value) => {
          endSpan(span);
          return value;
        },
        (error: unknown) => {
          failSpan(span, error);
          throw error;
        },
      );
    }
    if (looksObservable(result)) return observeInSpan(result, span, active);
  }
  endSpan(span);
  return result;
}
