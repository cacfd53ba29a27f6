import type { ErrorSeverity } from '../metrics/kpi.types';

/** Options of error tracking (Sentry through `@sentry/nestjs`) and the global exception filter. */
export interface ErrorsOptions {
  /**
   * Send errors to Sentry. Needs `dsn`; without one nothing is sent and nothing breaks.
   * @default process.env.SENTRY_ENABLED ?? true
   */
  enabled?: boolean;
  /**
   * Sentry DSN of the project.
   * @default process.env.SENTRY_DSN
   */
  dsn?: string;
  /**
   * Share of transactions traced (0-1). Unset, Sentry's tracing stays off; any number, `0`
   * included, turns it on (every request is then instrumented, which costs time).
   * @default process.env.SENTRY_TRACES_SAMPLE_RATE ?? undefined (no tracing)
   */
  tracesSampleRate?: number;
  /**
   * Share of traced transactions profiled (0-1); needs `@sentry/profiling-node` installed.
   * @default process.env.SENTRY_PROFILES_SAMPLE_RATE ?? undefined (no profiling)
   */
  profilesSampleRate?: number;
  /**
   * Record a release-health session per incoming request (Sentry's
   * `trackIncomingRequestsAsSessions`), for the crash-free rate of requests. Off by default: it
   * keeps Sentry's per-request server instrumentation on even with tracing off, which costs
   * CPU on every request. The process's own session is recorded either way.
   * @default process.env.SENTRY_REQUEST_SESSIONS ?? false
   */
  requestSessions?: boolean;
  /**
   * Also report 4xx `HttpException`s (they are never reported by default).
   * @default false
   */
  reportClientErrors?: boolean;
  /**
   * Decides whether an exception caught by the filter is reported, overriding the default
   * (unknown errors and 5xx). Return `undefined` to keep the default.
   * @default undefined
   */
  shouldReport?: (exception: unknown) => boolean | undefined;
  /**
   * Severity of an exception caught by the filter (`errors_total{severity}`); `critical`
   * errors are also sent to the alerting service when there is one.
   * @default 'warning' for 4xx, 'error' otherwise
   */
  severity?: (exception: unknown) => ErrorSeverity | undefined;
  /**
   * Longest wait for pending Sentry events on shutdown, in milliseconds.
   * @default 2000
   */
  flushTimeoutMs?: number;
}

/** Error tracking options after defaults and environment variables are applied. */
export interface ResolvedErrorsOptions {
  /** True only when enabled and a DSN is set. */
  enabled: boolean;
  dsn: string | undefined;
  /** `undefined` when not configured: Sentry's tracing stays off. */
  tracesSampleRate: number | undefined;
  /** `undefined` when not configured. */
  profilesSampleRate: number | undefined;
  requestSessions: boolean;
  reportClientErrors: boolean;
  shouldReport: ((exception: unknown) => boolean | undefined) | undefined;
  severity: ((exception: unknown) => ErrorSeverity | undefined) | undefined;
  flushTimeoutMs: number;
}
