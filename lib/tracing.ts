/**
 * `nestjs-observability/tracing`: {@link startTracing}, to call on the first lines of `main.ts`
 * when tracing options come from code rather than from the `OTEL_*` variables that
 * `nestjs-observability/instrument` reads. Loading it has no side effect and loads no other part
 * of the library (no `@nestjs/*`, pino or prom-client), so the OpenTelemetry instrumentations
 * are registered before the modules they patch are loaded.
 *
 * @packageDocumentation
 */
export { startTracing, stopTracing } from './tracing/start-tracing';
export type { TracingHandle, TracingInitOptions } from './tracing/start-tracing';
export type { TracingState } from './tracing/tracing-state';
export type {
  OtlpProtocol,
  TraceSampler,
  TracingInstrumentations,
  TracingOptions,
} from './tracing/tracing-options.interface';
