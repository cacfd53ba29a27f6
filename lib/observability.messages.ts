/**
 * Every user-facing error and warning of the library, in one place.
 * Each is a full sentence that names the option, decorator or metric and says what to do.
 */
export const Messages = {
  invalidOptions: (problems: string[]): string =>
    `Invalid ObservabilityModule options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    'Fix the options passed to ObservabilityModule.forRoot()/forRootAsync() or the environment variables named above.',
  asyncOptionsWithoutFactory: (): string =>
    'ObservabilityModule.forRootAsync() needs one of "useFactory", "useClass" or "useExisting" to build the options.',
  metricShapeMismatch: (name: string, existing: string, requested: string): string =>
    `Metric "${name}" is already registered as ${existing}; it was requested again as ${requested}. ` +
    'Use another name or the same type and label names.',
  metricNameInvalid: (name: string): string =>
    `Metric name "${name}" is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*.`,
  metricNameTaken: (name: string): string =>
    `Metric "${name}" from @willsoto/nestjs-prometheus has the name of a metric nestjs-observability already registered; rename one of them.`,
  metricsPortInUse: (host: string, port: number): string =>
    `The metrics server cannot listen on ${host}:${port} because the port is already in use. ` +
    'Set "metrics.port" (or METRICS_PORT) to a free port, or "metrics.enabled: false" to run without it.',
  metricsServerFailed: (host: string, port: number, reason: string): string =>
    `The metrics server cannot listen on ${host}:${port}: ${reason}.`,
  metricsServerListening: (url: string): string => `Metrics served on ${url}`,
  droppedEvent: (reason: string, detail: string): string =>
    `Dropped a metrics event (reason "${reason}"): ${detail}. Further drops for this reason are only counted in observability_dropped_events_total.`,
  labelOverflow: (metric: string, max: number): string =>
    `Metric "${metric}" reached ${max} label combinations ("metrics.maxSeriesPerMetric"); new combinations are folded into the "__overflow__" series. ` +
    'Remove unbounded values (ids, raw paths) from its labels.',
  paymentFailure: (paymentId: string, paymentMethod: string, errorType: string): string =>
    `Payment ${paymentId} failed (method "${paymentMethod}", error "${errorType}")`,
  decoratorOnNonMethod: (decorator: string, key: string): string =>
    `@${decorator}() can only decorate a method; "${key}" is not one.`,
  httpMiddlewareWithoutModule: (factory: string): string =>
    `${factory}() needs "monitoring": the Nest application or its CustomMetricsService, with ObservabilityModule imported.`,
  httpAdapterUnsupported: (type: string): string =>
    `HTTP metrics support the Express and Fastify adapters; this application uses "${type}", so no HTTP metrics are recorded. ` +
    'Set "http.enabled: false" to silence this warning.',
} as const;
