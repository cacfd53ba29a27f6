import { StructuredLogger } from '../logging/structured-logger';
import { RequestContext } from '../logging/request-context';
import { requestIdOf } from '../logging/request-id';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { ErrorSeverity } from '../metrics/kpi.types';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { CriticalAlertSink, ErrorContext } from './error-tracking.types';
import { eagerRequestScope, LazyRequestScopes, type RequestScope } from './sentry-request-scopes';
import {
  initSentryFromOptions,
  loadSentry,
  releaseSentryRequests,
  retainSentryRequests,
  scrubEvent,
  type SentrySdk,
} from './sentry-sdk';

const SENTRY_LEVEL = {
  critical: 'fatal',
  error: 'error',
  warning: 'warning',
  info: 'info',
} as const;
const LOG_LEVEL = { critical: 'fatal', error: 'error', warning: 'warn', info: 'info' } as const;

interface HttpExceptionLike {
  getStatus(): unknown;
  getResponse(): unknown;
}

/** Nest's `HttpException` and its subclasses, recognised without loading Nest. */
const isHttpException = (value: unknown): value is HttpExceptionLike =>
  value instanceof Error &&
  typeof (value as Partial<HttpExceptionLike>).getStatus === 'function' &&
  typeof (value as Partial<HttpExceptionLike>).getResponse === 'function';

/** The HTTP status Nest answers `exception` with. */
export function statusOf(exception: unknown): number {
  if (isHttpException(exception)) {
    const status = exception.getStatus();
    if (typeof status === 'number') return status;
  }
  const candidate = exception as { statusCode?: unknown; message?: unknown } | null;
  if (
    candidate &&
    typeof candidate.statusCode === 'number' &&
    candidate.message &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 600
  ) {
    return candidate.statusCode;
  }
  return 500;
}

/** A bounded label for `exception`: its class name (`TypeError`, `NotFoundException`). */
export function errorTypeOf(exception: unknown): string {
  if (exception instanceof Error) {
    const name = exception.constructor?.name || exception.name;
    return name && name !== 'Object' ? name.slice(0, 100) : 'Error';
  }
  if (exception === null) return 'null';
  return typeof exception === 'object' ? 'Object' : typeof exception;
}

function messageOf(exception: unknown): string {
  if (exception instanceof Error) return exception.message;
  try {
    return typeof exception === 'string' ? exception : JSON.stringify(exception);
  } catch {
    return String(exception);
  }
}

interface HttpRequestLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers?: Record<string, unknown>;
  query?: unknown;
  body?: unknown;
  protocol?: string;
  route?: { path?: string };
  routeOptions?: { url?: string };
  raw?: unknown;
}

/** The route template of a request (`/orders/:id`), on Express and Fastify. */
export function routeOf(request: unknown): string | undefined {
  const req = request as HttpRequestLike | undefined;
  return req?.route?.path ?? req?.routeOptions?.url;
}

/** What error tracking works with besides its options. */
export interface ErrorTrackingDeps {
  /** The diagnostic loggers. */
  log: DiagnosticLoggerFactory;
  /** Receives the alert of a critical error; without it, critical errors are not alerted. */
  alerting?: CriticalAlertSink;
  /** The Sentry SDK packages to load, best first. */
  sentryPackages: readonly string[];
  /** Warn when Sentry had to be initialised here, too late for its automatic instrumentation. */
  warnLateInit: boolean;
}

interface Report {
  severity: ErrorSeverity;
  tags?: Record<string, string>;
  userId?: string | number;
  details?: Record<string, unknown>;
  request?: unknown;
  log: boolean;
  message: string;
}

/**
 * Reports errors: a structured log line, `errors_total{service,error_type,severity}`, a
 * Sentry event (when a DSN is configured) and, for critical errors, an alert to the
 * alerting service when one is registered. Used by the global exception filter, and by your
 * code for errors it catches itself (queues, crons, fallbacks). Never throws.
 *
 * @example
 * ```ts
 * @Processor('images')
 * export class ImageProcessor {
 *   constructor(private readonly errors: ErrorTrackingService) {}
 *
 *   async process(job: Job) {
 *     try {
 *       await this.render(job.data);
 *     } catch (error) {
 *       this.errors.handleError(error, { context: 'queue:images', jobId: job.id });
 *       throw error;
 *     }
 *   }
 * }
 * ```
 */
export class ErrorTrackingService {
  private readonly fallback: DiagnosticLogger;
  private sentry: SentrySdk | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Set when Sentry's own server instrumentation is off: the requests' scopes are ours. */
  private requestScopes: { lazy: LazyRequestScopes | undefined; eager: RequestScope } | undefined;
  private readonly reported = new WeakSet<object>();
  /** Set when Sentry's `Nest` integration (which captures them itself) is off. */
  private background = false;

  /** @internal */
  constructor(
    private readonly options: ResolvedObservabilityOptions,
    private readonly metrics: CustomMetricsService,
    private readonly logs: StructuredLogger,
    private readonly deps: ErrorTrackingDeps,
  ) {
    this.fallback = deps.log('ErrorTracking');
  }

  /**
   * Connects to Sentry when a DSN is configured (initialising it here when `instrument` did not
   * run first, with a warning that early instrumentation was missed).
   *
   * @internal
   */
  start(): void {
    if (this.sentry) return;
    if (this.options.errors.enabled) {
      const sdk = loadSentry(this.deps.sentryPackages);
      if (!sdk.isEnabled()) {
        initSentryFromOptions(this.options, this.deps.sentryPackages);
        if (this.deps.warnLateInit) this.logs.root.warn(Messages.sentryInitialisedLate());
      }
      this.sentry = sdk;
      // Without Sentry's `Http` integration (Sentry not tracing), nothing else gives each
      // request its own scopes and trace.
      if (!sdk.getClient()?.getIntegrationByName('Http')) {
        this.requestScopes = {
          lazy: LazyRequestScopes.install(sdk),
          eager: eagerRequestScope(sdk),
        };
      }
      // Sentry's `Nest` integration (on only when Sentry traces) captures the errors of
      // scheduled jobs, `@OnEvent()` handlers and BullMQ processors; without it, the contexts
      // instrumentation reports them.
      this.background = !sdk.getClient()?.getIntegrationByName('Nest');
      retainSentryRequests();
      const redactor = this.logs.redactor;
      this.unsubscribe = sdk.getClient()?.on('beforeSendEvent', (event) => {
        scrubEvent(event, redactor);
      });
    }
  }

  /**
   * What each HTTP request runs in when Sentry is on and its own server instrumentation is not
   * (Sentry not tracing), and the lazy per-request scopes cannot be used: an isolation scope of
   * the request's own, entered with Sentry's public API. `undefined` when nothing is needed.
   * @internal
   */
  get requestScope(): RequestScope | undefined {
    const scopes = this.requestScopes;
    // The lazy scopes ride on the request context: without it, every request enters its own.
    if (!scopes || (scopes.lazy?.live && this.options.logging.requestContext)) return undefined;
    return scopes.eager;
  }

  /** Whether errors are sent to Sentry (enabled with a DSN). @internal */
  get sentryEnabled(): boolean {
    return this.sentry !== undefined;
  }

  /**
   * Reports an error your code caught: logs it, counts it in `errors_total`, sends it to
   * Sentry, and raises an alert when `severity` is `critical`. Never throws.
   */
  handleError(error: unknown, context: ErrorContext = {}): void {
    try {
      const { severity, tags, userId, context: where, ...details } = context ?? {};
      const level: ErrorSeverity = severity && severity in SENTRY_LEVEL ? severity : 'error';
      this.report(error, {
        severity: level,
        tags: where ? { ...tags, context: String(where) } : tags,
        userId,
        details,
        request: RequestContext.current()?.request,
        log: true,
        message: Messages.handledError(where ? String(where) : undefined, errorTypeOf(error)),
      });
    } catch (failure) {
      this.failed(failure);
    }
  }

  /**
   * Reports an exception of an HTTP request (unknown errors and 5xx; 4xx when
   * `errors.reportClientErrors`), once even when seen by both the interceptor and the filter.
   * @internal
   */
  captureRequestException(exception: unknown, request: unknown): void {
    try {
      if (typeof exception === 'object' && exception !== null) {
        if (this.reported.has(exception)) return;
        this.reported.add(exception);
      }
      const { errors } = this.options;
      const status = statusOf(exception);
      const decided = errors.shouldReport?.(exception);
      const report =
        typeof decided === 'boolean'
          ? decided
          : status >= 500 || (errors.reportClientErrors && status >= 400);
      if (!report) return;
      const severity = errors.severity?.(exception) ?? (status < 500 ? 'warning' : 'error');
      const req = request as HttpRequestLike | undefined;
      this.report(exception, {
        severity,
        request,
        // Nest (unknown errors) and the request line (`request errored`) already log it.
        log: false,
        message: Messages.unhandledRequestError(
          req?.method ?? 'unknown',
          routeOf(req) ?? 'unknown',
        ),
      });
    } catch (failure) {
      this.failed(failure);
    }
  }

  /**
   * Whether errors of handlers outside HTTP (scheduled jobs, `@OnEvent()` handlers, BullMQ
   * processors) are for {@link captureBackgroundException}: Sentry is on and its own `Nest`
   * integration, which captures them, is not.
   * @internal
   */
  get reportsBackground(): boolean {
    return this.background;
  }

  /**
   * Reports an error thrown by a handler outside HTTP (`where`: `schedule:Class.method`,
   * `queue:Class`, `event:Class.method`) when {@link reportsBackground}: to Sentry with the tag
   * `context`, and in `errors_total`, once per error object even when rethrown through several
   * handlers. It logs nothing: `@nestjs/schedule`, `@nestjs/event-emitter` and BullMQ log or
   * surface the failure themselves. `errors.shouldReport` and `errors.severity` apply. Never
   * throws.
   * @internal
   */
  captureBackgroundException(exception: unknown, where: string): void {
    if (!this.background) return;
    try {
      if (typeof exception === 'object' && exception !== null) {
        if (this.reported.has(exception)) return;
        this.reported.add(exception);
      }
      const { errors } = this.options;
      if (errors.shouldReport?.(exception) === false) return;
      const severity = errors.severity?.(exception);
      this.report(exception, {
        severity: severity && severity in SENTRY_LEVEL ? severity : 'error',
        tags: { context: where },
        log: false,
        message: Messages.handledError(where, errorTypeOf(exception)),
      });
    } catch (failure) {
      this.failed(failure);
    }
  }

  /**
   * Sends what Sentry still holds, for at most `errors.flushTimeoutMs`; requests still open
   * then no longer keep the process alive.
   *
   * @internal
   */
  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.sentry) {
      await this.sentry.flush(this.options.errors.flushTimeoutMs);
      releaseSentryRequests();
    }
  }

  private report(error: unknown, report: Report): void {
    const errorType = errorTypeOf(error);
    const req = report.request as HttpRequestLike | undefined;
    const requestId = req
      ? (requestIdOf(req) ?? RequestContext.requestId)
      : RequestContext.requestId;
    const route = req ? routeOf(req) : undefined;
    const user = req ? this.userOf(req) : undefined;
    const userId = report.userId ?? user?.userId;

    this.metrics.trackError(errorType, report.severity);

    if (report.log) {
      const details = report.details && Object.keys(report.details).length ? report.details : {};
      this.logs.logger[LOG_LEVEL[report.severity]](
        {
          ...details,
          // The caller's user, so the line joins that user's other lines without Sentry.
          ...(userId !== undefined && userId !== null ? { user_id: userId } : {}),
          err: error,
          error_type: errorType,
          severity: report.severity,
        },
        report.message,
      );
    }

    if (this.sentry) {
      const sdk = this.sentry;
      const redactor = this.logs.redactor;
      sdk.withScope((scope) => {
        scope.setLevel(SENTRY_LEVEL[report.severity]);
        scope.setTag('error_type', errorType);
        if (requestId) scope.setTag('request_id', requestId);
        if (route) scope.setTag('route', route);
        if (req?.method) scope.setTag('method', req.method);
        if (userId !== undefined) {
          scope.setUser({ id: String(userId) });
          scope.setTag('user_id', String(userId));
        }
        if (user?.workspaceId !== undefined) scope.setTag('workspace_id', String(user.workspaceId));
        for (const [key, value] of Object.entries(report.tags ?? {})) scope.setTag(key, value);
        if (report.details && Object.keys(report.details).length) {
          scope.setContext('details', redactor.scrub(report.details));
        }
        if (req && (req.method || req.headers)) {
          scope.addEventProcessor((event) => {
            const url = req.originalUrl ?? req.url ?? '';
            const host = req.headers?.host;
            event.request = {
              ...event.request,
              method: req.method,
              url: redactor.scrubUrl(host ? `${req.protocol ?? 'http'}://${host}${url}` : url),
              headers: redactor.scrub(req.headers ?? {}) as Record<string, string>,
              query_string: url.includes('?') ? redactor.scrubQuery(url.split('?')[1]) : undefined,
              data: req.body === undefined ? undefined : redactor.scrub(req.body),
            };
            if (route && req.method && !event.transaction) {
              event.transaction = `${req.method} ${route}`;
            }
            return event;
          });
        }
        sdk.captureException(error);
      });
    }

    if (report.severity === 'critical' && this.deps.alerting) {
      this.alert(error, errorType, requestId, route, report.tags?.context);
    }
  }

  private userOf(request: HttpRequestLike) {
    return this.options.logging.userContext(request);
  }

  private alert(
    error: unknown,
    errorType: string,
    requestId: string | undefined,
    route: string | undefined,
    where: string | undefined,
  ): void {
    const annotations: Record<string, string> = {};
    if (requestId) annotations.request_id = requestId;
    if (route) annotations.route = route;
    if (where) annotations.context = where;
    try {
      const result = this.deps.alerting!.send({
        name: 'CriticalError',
        severity: 'critical',
        summary: Messages.criticalErrorSummary(errorType, this.options.service),
        description: messageOf(error),
        labels: { service: this.options.service, error_type: errorType },
        annotations,
      });
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (failure: unknown) =>
          this.logs.root.warn(Messages.alertingFailed(messageOf(failure))),
        );
      }
    } catch (failure) {
      this.logs.root.warn(Messages.alertingFailed(messageOf(failure)));
    }
  }

  private failed(failure: unknown): void {
    try {
      this.logs.root.warn(Messages.errorTrackingFailed(messageOf(failure)));
    } catch {
      this.fallback.warn(Messages.errorTrackingFailed(messageOf(failure)));
    }
  }
}
