import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { Observable } from 'rxjs';
import { loadOptional } from '../config/optional-module';
import type { HandlerOutcome } from './context-metrics';

/** The instrumentation scope of every span the library starts. */
export const TRACER_NAME = 'nestjs-observability';

/**
 * The library's tracer from the global OpenTelemetry API. Without a registered tracer provider
 * its spans are non-recording and cost next to nothing; once one is registered (even later),
 * the same tracer delegates to it.
 */
export function tracer(): Tracer {
  // Getting a tracer allocates a proxy whose first spans cost about 1 µs more: it is kept for
  // as long as the global provider is the same object.
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME);
  }
  return cachedTracer as Tracer;
}

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/** What a span is started with. */
export interface SpanSpec {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
  /** Start a new trace, ignoring the active context (scheduled jobs). */
  readonly root?: boolean;
}

/** Marks `span` failed with `error` and ends it. */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  const message = (error as { message?: unknown } | null)?.message;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: typeof message === 'string' ? message : String(error),
  });
  span.end();
}

/** Told of each error a traced call throws or rejects with (error tracking). */
export type CallErrorSink = (error: unknown) => void;

/** Reports a settled call to its span, series and error sink; never throws. */
function settle(
  span: Span,
  outcome: HandlerOutcome | undefined,
  start: number,
  failed: boolean,
  error: unknown,
  onError?: CallErrorSink,
): void {
  // Observability never fails the call it observes; the span ends even if recording fails.
  if (failed && onError) tell(onError, error);
  try {
    const seconds = (performance.now() - start) / 1000;
    if (failed) outcome?.error(seconds);
    else outcome?.success(seconds);
  } catch {
    // counted nowhere: the registry itself failed
  }
  try {
    if (failed) failSpan(span, error);
    else span.end();
  } catch {
    // a broken tracing SDK
  }
}

/**
 * An rxjs Observable (rxjs's own `isObservable` test: `lift` and `subscribe`). rxjs is loaded
 * only when a handler returns one, so code without Nest never loads it.
 */
const looksObservable = (value: object): boolean =>
  typeof (value as { subscribe?: unknown }).subscribe === 'function' &&
  typeof (value as { lift?: unknown }).lift === 'function';

/** Times `source` to its completion or error, its subscription running in `active`. */
function traceObservable(
  source: Observable<unknown>,
  span: Span,
  active: Context,
  outcome: HandlerOutcome | undefined,
  start: number,
  onError: CallErrorSink | undefined,
): Observable<unknown> {
  const rxjs = loadOptional<typeof import('rxjs')>('rxjs');
  if (!rxjs?.isObservable(source)) {
    settle(span, outcome, start, false, undefined);
    return source;
  }
  return new rxjs.Observable((subscriber) => {
    let settled = false;
    const subscription = context.with(active, () =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          settled = true;
          settle(span, outcome, start, true, error, onError);
          subscriber.error(error);
        },
        complete: () => {
          settled = true;
          settle(span, outcome, start, false, undefined);
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      // Unsubscribed before it settled (the client went away): the span ends, nothing counts.
      if (!settled) {
        settled = true;
        span.end();
      }
    };
  });
}

/**
 * Runs `fn` in a new span that is the active span while it runs (child of `parent`), and
 * records its outcome in `outcome`: synchronous results and throws at once, thenables when they
 * settle, Observables when they complete or fail; `onError` is told of a failure's error. The
 * result or error is returned or rethrown untouched (an Observable is returned wrapped, emitting
 * the same values).
 */
export function runTraced<T>(
  spec: SpanSpec,
  parent: Context,
  outcome: HandlerOutcome | undefined,
  fn: () => T,
  onError?: CallErrorSink,
): T {
  let span: Span;
  let active: Context;
  try {
    span = tracer().startSpan(
      spec.name,
      { kind: spec.kind, attributes: spec.attributes, root: spec.root },
      parent,
    );
    // Without a tracing SDK the span is a no-op one with no context to propagate: the call then
    // runs as it is, in the caller's context.
    active = span.spanContext() === INVALID_SPAN_CONTEXT ? parent : trace.setSpan(parent, span);
  } catch {
    return onError ? reportingErrors(fn, onError) : fn();
  }
  const start = performance.now();
  let result: T;
  try {
    result = active === parent ? fn() : context.with(active, fn);
  } catch (error) {
    settle(span, outcome, start, true, error, onError);
    throw error;
  }
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as unknown as PromiseLike<unknown>).then === 'function'
  ) {
    return (result as unknown as PromiseLike<unknown>).then(
      (value) => {
        settle(span, outcome, start, false, undefined);
        return value;
      },
      (error: unknown) => {
        settle(span, outcome, start, true, error, onError);
        throw error;
      },
    ) as T;
  }
  if (result !== null && typeof result === 'object' && looksObservable(result)) {
    return traceObservable(
      result as unknown as Observable<unknown>,
      span,
      active,
      outcome,
      start,
      onError,
    ) as T;
  }
  settle(span, outcome, start, false, undefined);
  return result;
}

/** Tells `onError` of a call's error; never throws. */
function tell(onError: CallErrorSink, error: unknown): void {
  try {
    onError(error);
  } catch {
    // error tracking failed: the call's own error still propagates
  }
}

/**
 * Runs `fn` untraced, telling `onError` of the error it throws or its thenable rejects with;
 * the result or error is returned or rethrown untouched.
 */
export function reportingErrors<T>(fn: () => T, onError: CallErrorSink): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    tell(onError, error);
    throw error;
  }
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as unknown as PromiseLike<unknown>).then === 'function'
  ) {
    return (result as unknown as PromiseLike<unknown>).then(undefined, (error: unknown) => {
      tell(onError, error);
      throw error;
    }) as T;
  }
  return result;
}
