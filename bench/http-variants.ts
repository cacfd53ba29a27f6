/** The server variants of `npm run bench:http`, with the label printed in the table. */
export type Variant = keyof typeof VARIANTS;

export const VARIANTS = {
  bare: 'bare Nest 11',
  'bare+process': 'bare + prom-client default process metrics only',
  'lib-http':
    'nestjs-observability, HTTP metrics only (process metrics, logs, request context off)',
  'lib-nolog': 'nestjs-observability, HTTP metrics + request context (process metrics, logs off)',
  'lib-noreqlog': 'nestjs-observability, process metrics and request log lines off',
  'lib-noprocess': 'nestjs-observability, process metrics off',
  'lib-default': 'nestjs-observability, default configuration',
  'lib-dsn': 'nestjs-observability, default configuration + a Sentry DSN (no error thrown)',
  peer: 'hand-written peer (@willsoto + interceptor)',
  // Investigation of the process metrics' cost (not in the default run):
  'bare+process-no-gc': 'bare + default process metrics without the GC observer',
  'bare+process-no-eld': 'bare + default process metrics without the event-loop monitor',
  interceptor: 'bare + a global interceptor that does nothing (next.handle())',
  'lib-custom': 'nestjs-observability with the options in BENCH_LIB_OPTIONS (JSON)',
  // Tracing (not in the default run):
  'lib-trace-off':
    'nestjs-observability default + the instrument entry and tracingInstrument(), tracing off (no endpoint)',
  'bare-traced':
    'bare + OpenTelemetry tracing (server spans, outgoing http, every request sampled, OTLP export) + tracingInstrument()',
  'lib-traced': 'nestjs-observability default + the same tracing as bare-traced (exemplars on)',
  'bare-traced-1pct':
    'bare + the same tracing with 1% of the traces sampled (traceidratio 0.01, as in production)',
  'bare-traced-unsampled': 'bare + the same tracing with no trace sampled (always_off)',
} as const;

/** The variants that run with tracing on (an OTLP endpoint) before the application loads. */
export const TRACED_VARIANTS: readonly string[] = [
  'bare-traced',
  'lib-traced',
  'bare-traced-1pct',
  'bare-traced-unsampled',
];

/** The sampler of each traced variant (`BENCH_TRACING_OPTIONS` may override it). */
export const TRACED_SAMPLERS: Record<string, object> = {
  'bare-traced-1pct': { sampler: 'traceidratio', samplerRatio: 0.01 },
  'bare-traced-unsampled': { sampler: 'always_off' },
};
/** The variants whose Nest app gets `instrument: tracingInstrument()`. */
export const INSTRUMENTED_VARIANTS: readonly string[] = ['lib-trace-off', ...TRACED_VARIANTS];

/** The variants of a default run. */
export const DEFAULT_VARIANTS: Variant[] = [
  'bare',
  'bare+process',
  'lib-http',
  'lib-nolog',
  'lib-noprocess',
  'lib-default',
  'peer',
];
