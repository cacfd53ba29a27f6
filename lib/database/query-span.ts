import type * as OpenTelemetryApi from '@opentelemetry/api';
import { loadOptional } from '../config/optional-module';

/** The span of one query, ended once. @internal */
export interface QuerySpan {
  end(errorType?: string): void;
}

/** What a query span carries: only sanitised text and bounded names, never a value. */
export interface QuerySpanAttributes {
  /** `postgresql`, `mysql`, `prisma`, `redis`. */
  readonly system: string;
  readonly operation: string;
  readonly table: string;
  /** The statement with its literals removed, when there is one. */
  readonly statement?: string;
}

const NO_SPAN: QuerySpan = { end: () => undefined };
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

let api: typeof OpenTelemetryApi | null | undefined;
/**
 * The library's tracer, got once: the API's proxy tracer, which finds a provider registered
 * later (the tracing setup usually runs after the clients are created).
 */
let tracer: OpenTelemetryApi.Tracer | undefined;

/** `@opentelemetry/api`, or `null` when it is not installed (looked up once per process). */
function openTelemetry(): typeof OpenTelemetryApi | null {
  if (api === undefined) {
    try {
      api = loadOptional<typeof OpenTelemetryApi>('@opentelemetry/api') ?? null;
    } catch {
      api = null;
    }
  }
  return api;
}

/**
 * Starts a client span for a query through the global OpenTelemetry API, named by operation and
 * table (`SELECT users`), with `db.system`, `db.operation.name`, `db.collection.name` and the
 * sanitised `db.query.text`. Without `@opentelemetry/api`, or without a registered SDK, the span
 * is a no-op. Never throws.
 * @internal
 */
export function startQuerySpan(attributes: QuerySpanAttributes): QuerySpan {
  const otel = openTelemetry();
  if (!otel) return NO_SPAN;
  try {
    const { system, operation, table, statement } = attributes;
    tracer ??= otel.trace.getTracer('nestjs-observability');
    const span = tracer.startSpan(table ? `${operation} ${table}` : operation, {
      kind: SPAN_KIND_CLIENT,
    });
    // Attributes only on a recording span: with no SDK, a query allocates nothing for tracing.
    if (!span.isRecording()) return NO_SPAN;
    span.setAttributes({
      'db.system': system,
      'db.system.name': system,
      'db.operation.name': operation,
      ...(table ? { 'db.collection.name': table } : {}),
      ...(statement ? { 'db.query.text': statement, 'db.statement': statement } : {}),
    });
    return {
      end: (errorType) => {
        try {
          if (errorType) {
            span.setAttribute('error.type', errorType);
            span.setStatus({ code: STATUS_ERROR });
          }
          span.end();
        } catch {
          // a broken tracer never breaks a query
        }
      },
    };
  } catch {
    return NO_SPAN;
  }
}
