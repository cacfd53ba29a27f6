/**
 * `nestjs-observability/sentry`: {@link initSentry}, to call on the first lines of `main.ts`.
 * Loading it has no side effect and loads no other part of the library (no `@nestjs/*`, pino
 * or prom-client), so Sentry starts before the modules it instruments are loaded.
 *
 * @packageDocumentation
 */
export { initSentry } from './errors/init-sentry';
export type { SentryInitOptions } from './errors/init-sentry';
