/**
 * `import 'nestjs-observability/instrument'` as the first line of `main.ts`: initialises
 * Sentry from the environment (`SENTRY_DSN`, ...) before the application is imported.
 * Does nothing without a DSN.
 */
import { initSentry } from './errors/init-sentry';

initSentry();
