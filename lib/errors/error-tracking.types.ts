import type { ErrorSeverity } from '../metrics/kpi.types';

/**
 * Injection token under which an alerting service may be registered (by this library's
 * alerting capability or by the application). When present, critical errors are sent to it.
 */
export const ALERTING_SERVICE_TOKEN = 'OBSERVABILITY_ALERTING_SERVICE';

/** The alert a critical error produces. */
export interface CriticalErrorAlert {
  /** Always `CriticalError`. */
  name: string;
  severity: 'critical';
  /** One line: `Critical error <type> in <service>`. */
  summary: string;
  /** The error message. */
  description?: string;
  /** `service`, `error_type`, and `request_id`/`route` when the error came from a request. */
  labels?: Record<string, string>;
}

/**
 * What error tracking needs from the service registered under
 * {@link ALERTING_SERVICE_TOKEN}. `send` may return a promise; failures are logged, never thrown.
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
