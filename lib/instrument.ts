/**
 * `import 'nestjs-observability/instrument'` as the first line of `main.ts`: initialises
 * Sentry from the environment (`SENTRY_DSN`, ...) before the application is imported.
 * Does nothing without a DSN. It loads no other part of the library (no `@nestjs/*`, pino or
 * prom-client). To pass options in code instead, call `initSentry()` from
 * `nestjs-observability/sentry`.
 *
 * @packageDocumentation
 */
import { initSentry } from './errors/init-sentry';

initSentry();
