/** User-facing messages of tracing. */
export const TracingMessages = {
  notInstalled: (pkg: string, why: string): string =>
    `Tracing is on (${why}) but "${pkg}" is not installed. Run "npm install ${pkg}", or unset OTEL_EXPORTER_OTLP_ENDPOINT / set "tracing.enabled: false".`,
  sentryFirst: (): string =>
    'Sentry was initialised before tracing started, so spans cannot be exported over OTLP through its tracer provider. ' +
    'Import "nestjs-observability/instrument" (or call startTracing()) before Sentry.init().',
  otherProvider: (): string =>
    'Another OpenTelemetry tracer provider is already registered; tracing did not start a second one. ' +
    'Import "nestjs-observability/instrument" first, or drop the other setup.',
};
