/**
 * `import 'nestjs-observability/instrument'` as the first line of `main.ts`: starts
 * OpenTelemetry tracing from the `OTEL_*` variables (when an OTLP endpoint is configured) and
 * initialises Sentry from `SENTRY_DSN`, before the application is imported, so both can patch
 * HTTP, Express, Fastify and database clients. Does nothing when neither is configured.
 * To pass options in code instead, call `startTracing()` from `nestjs-observability/tracing`
 * and `initSentry()` from `nestjs-observability/sentry`.
 *
 * @packageDocumentation
 */
import { initSentry } from './errors/init-sentry';
import { startTracing } from './tracing/start-tracing';

// Tracing first: with Sentry on too, it initialises Sentry itself with the OTLP export added.
startTracing();
initSentry();
