import { type Attributes, trace } from '@opentelemetry/api';
import { tracedFunction } from './traced-method';

/** Options of `@Trace()`. */
export interface TraceOptions {
  /**
   * Attributes set on every span of the method, e.g. `{ 'ai.provider': 'openai' }`.
   * Per-call attributes: {@link setSpanAttributes} inside the method.
   * @default {}
   */
  attributes?: Attributes;
}

/**
 * Runs every call of the decorated method in its own span, named `Class.method` unless
 * `name` is given, child of the active span (the request's, a job's). Sync methods, async
 * methods and methods returning an Observable are traced to completion; an error is recorded
 * on the span (status `ERROR` with an exception event) and rethrown untouched. Return values,
 * `this` and the metadata of other decorators (`@Get()`, `@OnEvent()`, `@TrackDuration()`) are
 * kept, whichever side of `@Trace()` they sit on. Without tracing the method runs as is, on
 * OpenTelemetry's no-op tracer.
 *
 * @param name the span name
 * @param options constant attributes
 *
 * @example
 * ```ts
 * @Injectable()
 * export class ReportService {
 *   @Trace()
 *   async build(workspaceId: string) {
 *     setSpanAttributes({ workspace_id: workspaceId });
 *     ...
 *   }
 *
 *   @Trace('report.render', { attributes: { 'report.format': 'pdf' } })
 *   render(report: Report) { ... }
 * }
 * ```
 */
export function Trace(name?: string, options: TraceOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const original = descriptor?.value as unknown;
    if (typeof original !== 'function') {
      throw new TypeError(
        `@Trace() decorates methods only; "${String(key)}" is not a method. Remove the decorator or move it onto a method.`,
      );
    }
    const owner = typeof target === 'function' ? target : target.constructor;
    const spanName = name ?? `${owner.name}.${String(key)}`;
    const attributes: Attributes = {
      'code.function.name': `${owner.name}.${String(key)}`,
      ...options.attributes,
    };
    descriptor.value = tracedFunction(
      original as (...args: unknown[]) => unknown,
      spanName,
      attributes,
    ) as typeof descriptor.value;
    return descriptor;
  };
}

/**
 * Sets attributes on the active span (the one of the current request, job or `@Trace()`
 * method); does nothing without one. Never throws.
 *
 * @example
 * ```ts
 * setSpanAttributes({ workspace_id: workspaceId, 'report.rows': rows.length });
 * ```
 */
export function setSpanAttributes(attributes: Attributes): void {
  try {
    trace.getActiveSpan()?.setAttributes(attributes);
  } catch {
    // tracing never fails the caller
  }
}
