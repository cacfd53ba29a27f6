import type { ErrorSeverity } from '../metrics/kpi.types';

/** The alert a critical error produces. */
export interface CriticalErrorAlert {
  /** Always `CriticalError`. */
  name: string;
  severity: 'critical';
  /** One line: `Critical error <type> in <service>`. */
  summary: string;
  /** The error message. */
  description?: string;
  /** `service` and `error_type`: the alert's identity, so one alert per type of error. */
  labels?: Record<string, string>;
  /** `request_id`, `route` and `context` when known (details that do not change the identity). */
  annotations?: Record<string, string>;
}

/**
 * What error tracking needs from the service registered under `ALERTING_SERVICE_TOKEN`
 * (`'OBSERVABILITY_ALERTING_SERVICE'`; the built-in `AlertingService` by default). `send` may
 * return a promise; failures are logged, never thrown.
 */
export interface CriticalAlertSink {
  send(alert: CriticalErrorAlert): unknown;
}

/**
 * Context of an error passed to `ErrorTrackingService.handleError()`. Any other field is
 * kept as detail in the log line and in Sentry's `details` context (secrets redacted).
 */
export interface ErrorContext {
  /**
   * Severity in `errors_total{severity}` and Sentry; `critical` also raises an alert.
   * @default 'error'
   */
  severity?: ErrorSeverity;
  /** Sentry tags (indexed, searchable): keep values short and bounded. */
  tags?: Record<string, string>;
  /** Who was affected (Sentry user). */
  userId?: string | number;
  /** Where the error happened (log message and Sentry tag `context`), e.g. `queue:images`. */
  context?: string;
  [detail: string]: unknown;
}
