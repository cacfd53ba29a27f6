import { resolveOptions } from '../config/resolve-options';
import type { ObservabilityModuleOptions } from '../observability-options.interface';
import { initSentryFromOptions } from './sentry-sdk';

/** The options {@link initSentry} reads; the same fields as in `ObservabilityModule.forRoot()`. */
export type SentryInitOptions = Pick<
  ObservabilityModuleOptions,
  'service' | 'environment' | 'version' | 'errors' | 'redact'
>;

/**
 * Initialises Sentry (`@sentry/nestjs`) for the process, before the application is imported,
 * so its automatic instrumentation can patch HTTP, Express and database clients. Reads
 * `SENTRY_ENABLED`, `SENTRY_DSN`, `SENTRY_TRACES_SAMPLE_RATE` and
 * `SENTRY_PROFILES_SAMPLE_RATE`; environment and release come from the same defaults as the
 * module (`APP_ENV`/`NODE_ENV`, `APP_VERSION`/package.json). Events are scrubbed with the
 * logs' redaction rules. Without a DSN it does nothing; calling it twice is harmless.
 *
 * @returns whether Sentry is enabled.
 * @example
 * ```ts
 * // main.ts: first line, before AppModule is imported
 * import { initSentry } from 'nestjs-observability';
 * initSentry({ service: 'api' });
 * // or simply: import 'nestjs-observability/instrument';
 * import { NestFactory } from '@nestjs/core';
 * import { AppModule } from './app.module';
 * ```
 */
export function initSentry(options: SentryInitOptions = {}): boolean {
  const { service, environment, version, errors, redact } = options;
  return (
    initSentryFromOptions(resolveOptions({ service, environment, version, errors, redact })) !==
    undefined
  );
}
