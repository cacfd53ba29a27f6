import type { IncomingMessage } from 'node:http';
import type { AlertInput } from '../alerting/alert.types';
import type { GuardedCounter } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { requestIdOf, VALID_REQUEST_ID } from '../logging/request-id';
import { Messages } from '../observability.messages';

/** Where a slow request is reported besides its counter. */
export interface SlowRequestSinks {
  /** Writes the warning line (the structured logger's root logger). */
  warn(fields: Record<string, unknown>, message: string): void;
  /** Raises an alert (`AlertingService.send`), with `http.slowRequestAlert`. */
  alert?(input: AlertInput): void;
  /** Header the request id is read from when the request context did not assign one. */
  requestIdHeader: string;
}

/**
 * Requests slower than `http.slowRequestThreshold`: each counts in
 * `slow_requests_total{route}` (the bounded route template), writes a warning line with its
 * request id, route and duration, and with `http.slowRequestAlert` raises `SlowRequest`
 * (deduplicated per method and route by the alerting pipeline).
 *
 * @internal Called by the HTTP recorder, after one comparison per request.
 */
export class SlowRequests {
  private readonly counter: GuardedCounter;
  private readonly byRoute = new Map<string, { inc(value?: number): void }>();

  constructor(
    metrics: MetricsRegistry,
    /** Threshold in seconds. */
    readonly threshold: number,
    private readonly sinks: SlowRequestSinks,
  ) {
    this.counter = metrics.fromCatalog(MetricCatalog.slowRequests) as GuardedCounter;
  }

  /** Reports one request that took `seconds` (>= the threshold). */
  record(
    req: IncomingMessage,
    method: string,
    route: string,
    status: number,
    seconds: number,
  ): void {
    let child = this.byRoute.get(route);
    if (!child) this.byRoute.set(route, (child = this.counter.bind({ route })));
    child.inc();
    const requestId = requestIdOf(req) ?? this.headerId(req);
    const duration = Math.round(seconds * 1000) / 1000;
    this.sinks.warn(
      {
        context: 'SlowRequest',
        request_id: requestId,
        method,
        route,
        status_code: status,
        duration_seconds: duration,
        threshold_seconds: this.threshold,
      },
      Messages.slowRequest(method, route, duration, this.threshold),
    );
    this.sinks.alert?.({
      name: 'SlowRequest',
      severity: 'warning',
      summary: Messages.slowRequestAlert(method, route, duration, this.threshold),
      labels: { method, route },
      annotations: {
        ...(requestId ? { request_id: requestId } : {}),
        duration_seconds: String(duration),
        status_code: String(status),
      },
    });
  }

  private headerId(req: IncomingMessage): string | undefined {
    const value = req.headers?.[this.sinks.requestIdHeader];
    const id = Array.isArray(value) ? value[0] : value;
    return typeof id === 'string' && VALID_REQUEST_ID.test(id) ? id : undefined;
  }
}
