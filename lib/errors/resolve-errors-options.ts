import type { Problems } from '../config/problems';
import {
  EnvReader,
  OptionReader,
  optionKeys,
  TIMER_OR_ZERO,
  type Env,
  type NumberRange,
} from '../config/option-reader';
import type { ErrorsOptions, ResolvedErrorsOptions } from './errors-options.interface';

const ERRORS_KEYS = optionKeys({
  enabled: true,
  dsn: true,
  tracesSampleRate: true,
  profilesSampleRate: true,
  requestSessions: true,
  reportClientErrors: true,
  shouldReport: true,
  severity: true,
  flushTimeoutMs: true,
} satisfies Record<keyof ErrorsOptions, true>);

const DSN = {
  test: /^https?:\/\/[^@/]+@[^/]+\/.+/,
  expected: 'a Sentry DSN like https://<key>@<host>/<project>',
};
const RATE: NumberRange = { min: 0, max: 1 };

/**
 * Applies `SENTRY_ENABLED`, `SENTRY_DSN`, `SENTRY_TRACES_SAMPLE_RATE`,
 * `SENTRY_PROFILES_SAMPLE_RATE` and `SENTRY_REQUEST_SESSIONS` to `errors` options, recording every bad field. A DSN is never
 * echoed in a message, as it holds the project's key.
 */
export function resolveErrorsOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedErrorsOptions {
  const errors = OptionReader.of(raw, 'errors', ERRORS_KEYS, problems);
  const vars = new EnvReader(env, problems);
  const enabled = errors.has('enabled')
    ? errors.boolean('enabled')
    : vars.boolean('SENTRY_ENABLED');
  // An empty `dsn` option turns error tracking off whatever SENTRY_DSN says.
  const dsn = errors.has('dsn')
    ? errors.get('dsn') === ''
      ? undefined
      : errors.string('dsn', DSN)
    : vars.string('SENTRY_DSN', DSN);
  const flushTimeoutMs = errors.integer('flushTimeoutMs', TIMER_OR_ZERO) ?? 2000;
  // Unset stays undefined: Sentry treats any number, 0 included, as "tracing on", which
  // instruments every request (measured 2.3-2.75x slower on a bare Nest app).
  const rate = (
    key: 'tracesSampleRate' | 'profilesSampleRate',
    envName: string,
  ): number | undefined =>
    errors.has(key) ? errors.number(key, RATE) : vars.number(envName, RATE);
  return {
    enabled: (enabled ?? true) && dsn !== undefined,
    dsn,
    tracesSampleRate: rate('tracesSampleRate', 'SENTRY_TRACES_SAMPLE_RATE'),
    profilesSampleRate: rate('profilesSampleRate', 'SENTRY_PROFILES_SAMPLE_RATE'),
    requestSessions:
      (errors.has('requestSessions')
        ? errors.boolean('requestSessions')
        : vars.boolean('SENTRY_REQUEST_SESSIONS')) ?? false,
    reportClientErrors: errors.boolean('reportClientErrors') ?? false,
    shouldReport: errors.function('shouldReport'),
    severity: errors.function('severity'),
    flushTimeoutMs,
  };
}
