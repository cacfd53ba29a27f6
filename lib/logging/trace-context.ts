/** The ids of the span active where a log line is written. */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

/**
 * Returns the active span's ids, or `undefined`. The core passes error tracking's (Sentry's
 * OpenTelemetry context), so the logger needs no knowledge of where spans come from.
 */
export type TraceContextSource = () => TraceIds | undefined;

/** The source when nothing traces. */
export const noTraceContext: TraceContextSource = () => undefined;
