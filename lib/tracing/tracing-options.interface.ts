/** The samplers of the `OTEL_TRACES_SAMPLER` variable. */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** A sampler name of the OpenTelemetry specification. */
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/** The OTLP encodings the exporter speaks (gRPC is not supported: use the collector's HTTP port). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** An OTLP/HTTP encoding. */
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The automatic instrumentations tracing can load, each when its package is installed. */
export interface TracingInstrumentations {
  /** Incoming and outgoing `node:http`/`node:https` (`@opentelemetry/instrumentation-http`). @default true */
  http?: boolean;
  /** Express routers and middleware (`@opentelemetry/instrumentation-express`). @default true */
  express?: boolean;
  /** Fastify hooks and handlers (`@fastify/otel`). @default true */
  fastify?: boolean;
  /** `fetch` and undici (`@opentelemetry/instrumentation-undici`). @default true */
  undici?: boolean;
  /** PostgreSQL through `pg` (`@opentelemetry/instrumentation-pg`). @default true */
  pg?: boolean;
  /** Redis through `ioredis` (`@opentelemetry/instrumentation-ioredis`). @default true */
  ioredis?: boolean;
}

/**
 * Options of OpenTelemetry tracing. Every field has an `OTEL_*` variable of the
 * OpenTelemetry specification; an option given here wins over its variable.
 */
export interface TracingOptions {
  /**
   * Turns tracing on or off. Unset, tracing is on when an OTLP endpoint is configured
   * (`endpoint`, `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or
   * `OTEL_CONSOLE_EXPORT=true`, and `OTEL_SDK_DISABLED=true` turns it off.
   * @default on when an endpoint is configured
   */
  enabled?: boolean;
  /**
   * Where spans are sent: the collector's base URL (`/v1/traces` is appended), as
   * `OTEL_EXPORTER_OTLP_ENDPOINT`. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as given. A value
   * without a scheme (`collector:4318`) means `https://`, or `http://` with
   * `OTEL_EXPORTER_OTLP_INSECURE=true` (or `OTEL_EXPORTER_INSECURE=true`).
   * @default undefined
   */
  endpoint?: string;
  /**
   * The OTLP encoding, as `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`/`OTEL_EXPORTER_OTLP_PROTOCOL`.
   * `http/protobuf` needs `@opentelemetry/exporter-trace-otlp-proto`, `http/json`
   * `@opentelemetry/exporter-trace-otlp-http`.
   * @default 'http/protobuf'
   */
  protocol?: OtlpProtocol;
  /**
   * Headers of each export request (an API key), as `OTEL_EXPORTER_OTLP_HEADERS`
   * (`key=value,key2=value2`). Their values never appear in messages.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The service name of the spans' resource, as `OTEL_SERVICE_NAME`.
   * @default the module's `service`
   */
  serviceName?: string;
  /**
   * Which traces are recorded, as `OTEL_TRACES_SAMPLER`.
   * @default 'parentbased_always_on'
   */
  sampler?: TraceSampler;
  /**
   * The ratio of the `traceidratio` samplers, 0 to 1, as `OTEL_TRACES_SAMPLER_ARG`.
   * @default 1
   */
  samplerRatio?: number;
  /**
   * Milliseconds an export request may take, as `OTEL_EXPORTER_OTLP_TIMEOUT`.
   * @default 10000
   */
  exportTimeoutMs?: number;
  /**
   * Spans kept waiting for export, as `OTEL_BSP_MAX_QUEUE_SIZE`. Past it, new spans are dropped:
   * a slow collector costs spans, never memory or request time.
   * @default 2048
   */
  maxQueueSize?: number;
  /**
   * Spans per export request, as `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
   * @default 512
   */
  maxExportBatchSize?: number;
  /**
   * Milliseconds between two exports, as `OTEL_BSP_SCHEDULE_DELAY`.
   * @default 5000
   */
  scheduledDelayMs?: number;
  /**
   * Also print each span on standard output (debugging), as `OTEL_CONSOLE_EXPORT`.
   * @default false
   */
  console?: boolean;
  /**
   * A span for every method call of every provider (`Class.method`), in addition to guards,
   * pipes, interceptors and route handlers.
   * @default false
   */
  providers?: boolean;
  /**
   * Spans of one name under one parent past this many are not recorded one by one: the
   * parent gets the count and summed duration of the rest instead (a loop of queries stays
   * one readable trace).
   * @default 20
   */
  collapseAfter?: number;
  /** Automatic instrumentations, each loaded when its package is installed. */
  instrumentations?: TracingInstrumentations;
  /**
   * Also a span for each Express middleware and router layer and each Fastify hook. Off by
   * default: the server span carries the route and the guard, pipe, interceptor and handler
   * spans name the application's code, at a fraction of the cost.
   * @default false
   */
  frameworkSpans?: boolean;
}

/** Tracing options after defaults and environment variables. @internal */
export interface ResolvedTracingOptions {
  enabled: boolean;
  /** The full URL spans are posted to, or `undefined` (console export only). */
  url: string | undefined;
  protocol: OtlpProtocol;
  headers: Readonly<Record<string, string>>;
  serviceName: string;
  resourceAttributes: Readonly<Record<string, string>>;
  sampler: TraceSampler;
  samplerRatio: number;
  exportTimeoutMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  console: boolean;
  providers: boolean;
  collapseAfter: number;
  instrumentations: Required<TracingInstrumentations>;
  frameworkSpans: boolean;
}
