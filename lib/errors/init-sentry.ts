import { EnvReader, OptionReader, optionKeys } from '../config/option-reader';
import { Problems } from '../config/problems';
import { resolveIdentity } from '../config/resolve-identity';
import { resolveRedact } from '../logging/resolve-logging-options';
import type { ObservabilityModuleOptions } from '../observability-options.interface';
import { Messages } from '../observability.messages';
import { resolveErrorsOptions } from './resolve-errors-options';
import { initSentryFromOptions } from './sentry-sdk';

/** The options {@link initSentry} reads; the same fields as in `ObservabilityModule.forRoot()`. */
export type SentryInitOptions = Pick<
  ObservabilityModuleOptions,
  'service' | 'environment' | 'version' | 'errors' | 'redact'
>;

const SENTRY_INIT_KEYS = optionKeys({
  service: true,
  environment: true,
  version: true,
  errors: true,
  redact: true,
} satisfies Record<keyof SentryInitOptions, true>);

/**
 * Initialises Sentry (`@sentry/nestjs`) for the process, before the application is imported,
 * so its automatic instrumentation can patch HTTP, Express and database clients. Reads
 * `SENTRY_ENABLED`, `SENTRY_DSN`, `SENTRY_TRACES_SAMPLE_RATE` and
 * `SENTRY_PROFILES_SAMPLE_RATE`; environment and release come from the same defaults as the
 * module (`APP_ENV`/`NODE_ENV`, `APP_VERSION`/package.json). Events are scrubbed with the
 * logs' redaction rules. Without a DSN it does nothing; calling it twice is harmless.
 *
 * Import it from `nestjs-observability/sentry`, which loads nothing else of the library (no
 * Nest, pino or prom-client): what is loaded before Sentry starts escapes its instrumentation.
 *
 * @returns whether Sentry is enabled.
 * @throws when an option is invalid, naming every bad field.
 * @example
 * ```ts
 * // main.ts: first lines, before AppModule is imported
 * import { initSentry } from 'nestjs-observability/sentry';
 * initSentry({ service: 'api' });
 * // or, from the environment only: import 'nestjs-observability/instrument';
 * import { NestFactory } from '@nestjs/core';
 * import { AppModule } from './app.module';
 * ```
 */
export function initSentry(options: SentryInitOptions = {}): boolean {
  const problems = new Problems();
  const reader = OptionReader.of(options, '', SENTRY_INIT_KEYS, problems);
  const env = new EnvReader(process.env, problems);
  const identity = resolveIdentity(reader, env);
  const errors = resolveErrorsOptions(reader.get('errors'), process.env, problems);
  const redact = resolveRedact(reader.get('redact'), problems);
  problems.throwIfAny(Messages.invalidOptions);
  return initSentryFromOptions({ ...identity, errors, redact }) !== undefined;
}
