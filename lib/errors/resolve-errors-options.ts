import { isPlainObject, parseBooleanEnv, type Problems } from '../config/problems';
import type { ResolvedErrorsOptions } from './errors-options.interface';

type Env = Record<string, string | undefined>;

const KNOWN = [
  'enabled',
  'dsn',
  'tracesSampleRate',
  'profilesSampleRate',
  'reportClientErrors',
  'shouldReport',
  'severity',
  'flushTimeoutMs',
] as const;

function rate(value: unknown, envName: string, env: Env, path: string, problems: Problems): number {
  const valid = (n: unknown): n is number =>
    typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1;
  if (value !== undefined) {
    if (valid(value)) return value;
    problems.add(path, 'a number between 0 and 1', value);
    return 0;
  }
  const raw = env[envName];
  if (raw === undefined || raw.trim() === '') return 0;
  const parsed = Number(raw);
  if (valid(parsed)) return parsed;
  problems.add(`${envName} (environment)`, 'a number between 0 and 1', raw);
  return 0;
}

function optionalFunction<T>(value: unknown, path: string, problems: Problems): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as T;
  problems.add(path, 'a function', value);
  return undefined;
}

/**
 * Applies `SENTRY_ENABLED`, `SENTRY_DSN`, `SENTRY_TRACES_SAMPLE_RATE` and
 * `SENTRY_PROFILES_SAMPLE_RATE` to `errors` options, recording every bad field.
 */
export function resolveErrorsOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedErrorsOptions {
  let options: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (isPlainObject(raw)) options = raw;
    else problems.add('errors', 'an object', raw);
    problems.unknownKeys(options, 'errors', KNOWN);
  }

  let enabled: boolean | undefined;
  if (options.enabled !== undefined) {
    if (typeof options.enabled === 'boolean') enabled = options.enabled;
    else problems.add('errors.enabled', 'a boolean', options.enabled);
  } else if (env.SENTRY_ENABLED !== undefined && env.SENTRY_ENABLED.trim() !== '') {
    enabled = parseBooleanEnv('SENTRY_ENABLED', env.SENTRY_ENABLED, problems);
  }

  let dsn: string | undefined;
  if (options.dsn !== undefined) {
    if (typeof options.dsn === 'string') dsn = options.dsn || undefined;
    else problems.add('errors.dsn', 'a string', options.dsn);
  } else {
    dsn = env.SENTRY_DSN?.trim() || undefined;
  }
  if (dsn !== undefined && !/^https?:\/\/[^@/]+@[^/]+\/.+/.test(dsn)) {
    problems.add(
      options.dsn === undefined ? 'SENTRY_DSN (environment)' : 'errors.dsn',
      'a Sentry DSN like https://<key>@<host>/<project>',
      dsn,
    );
    dsn = undefined;
  }

  let reportClientErrors = false;
  if (options.reportClientErrors !== undefined) {
    if (typeof options.reportClientErrors === 'boolean') {
      reportClientErrors = options.reportClientErrors;
    } else {
      problems.add('errors.reportClientErrors', 'a boolean', options.reportClientErrors);
    }
  }

  let flushTimeoutMs = 2000;
  if (options.flushTimeoutMs !== undefined) {
    const t = options.flushTimeoutMs;
    if (typeof t === 'number' && Number.isInteger(t) && t >= 0) flushTimeoutMs = t;
    else problems.add('errors.flushTimeoutMs', 'an integer >= 0', t);
  }

  return {
    enabled: (enabled ?? true) && dsn !== undefined,
    dsn,
    tracesSampleRate: rate(
      options.tracesSampleRate,
      'SENTRY_TRACES_SAMPLE_RATE',
      env,
      'errors.tracesSampleRate',
      problems,
    ),
    profilesSampleRate: rate(
      options.profilesSampleRate,
      'SENTRY_PROFILES_SAMPLE_RATE',
      env,
      'errors.profilesSampleRate',
      problems,
    ),
    reportClientErrors,
    shouldReport: optionalFunction(options.shouldReport, 'errors.shouldReport', problems),
    severity: optionalFunction(options.severity, 'errors.severity', problems),
    flushTimeoutMs,
  };
}
