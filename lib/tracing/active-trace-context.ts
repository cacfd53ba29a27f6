import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { TraceContextSource, TraceIds } from '../logging/trace-context';

/**
 * The ids of the active OpenTelemetry span, whoever started it (this library's tracing,
 * Sentry's, or another OpenTelemetry setup), else of `fallback`'s. With no tracing at all this
 * is one lookup in OpenTelemetry's no-op context.
 */
export function otelTraceContext(fallback?: TraceContextSource): TraceContextSource {
  return (): TraceIds | undefined => {
    const span = trace.getActiveSpan();
    if (span) {
      const ids = span.spanContext();
      if (isSpanContextValid(ids)) return { traceId: ids.traceId, spanId: ids.spanId };
    }
    return fallback?.();
  };
}
