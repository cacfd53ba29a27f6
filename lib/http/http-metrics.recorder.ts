import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Gauge } from 'prom-client';
import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { activeSampledSpan, SeriesExemplars } from '../metrics/exemplar-store';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { expressRouteOf } from './express-route';
import { isTracingActive } from '../tracing/tracing-state';
import type { ResolvedHttpMetricsOptions } from './http-metrics-options.interface';
import type { SlowRequests } from './slow-requests';

/** The `route` label of requests no route matched (404s, scanners): one bounded value. */
export const UNMATCHED_ROUTE = 'UNMATCHED';

/** The `status_code` of a request whose client closed the connection before the response ended. */
export const CLIENT_CLOSED_STATUS = 499;

/** One request in flight, linked into the recorder's list of requests in flight. */
class Live {
  prev: Live = this;
  next: Live = this;
  constructor(
    readonly start: number,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The template when the adapter knows it at arrival (Fastify); Express resolves it at the end. */
    readonly route: string | undefined,
    /** Fastify's reply, whose headers Fastify writes without `setHeader`. */
    readonly reply: HeaderSource | undefined,
    /** The request's sampled span at arrival, when the process traces (the exemplar). */
    readonly span: { traceId: string; spanId: string } | undefined,
  ) {}
}

/** Where a response's headers can be read. */
export interface HeaderSource {
  getHeader(name: string): unknown;
}

/** The pre-bound children of one (method, route, status) combination. */
interface Series {
  readonly count: { inc(value?: number): void };
  readonly duration: { observe(value: number): void };
  readonly requestSize: { observe(value: number): void } | undefined;
  readonly responseSize: { observe(value: number): void } | undefined;
  /** Exemplars of the duration histogram, when the process traces. */
  readonly exemplars: SeriesExemplars | undefined;
}

function contentLength(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const length = Number(value);
  return Number.isFinite(length) && length >= 0 ? length : undefined;
}

/**
 * Records the HTTP RED metrics of one application. Express and Fastify feed it the raw
 * `IncomingMessage`/`ServerResponse` pair of every request at arrival; the response's `close`
 * event ends the measurement, so every response is counted once with the status the client
 * received, whatever produced it (route, guard, pipe, filter, 404 handler, body parser,
 * middleware), and streams are timed until their last byte. A `close` before the response
 * finished means the client went away: status `499`.
 *
 * The hot path allocates one small record per request: labelled children are bound once per
 * (method, route, status) and cached.
 *
 * @internal Created by `HttpMetrics`; users reach it through the middleware factories.
 */
export class HttpMetricsRecorder {
  /** Sentinel of the circular list of requests in flight (no hashing on the hot path). */
  private readonly live = new Live(
    0,
    undefined as never,
    undefined as never,
    undefined,
    undefined,
    undefined,
  );
  private inFlightCount = 0;
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();
  private readonly inProgressSeen = new Map<string, { method: string; route: string }>();
  private readonly requests: GuardedCounter;
  private readonly duration: GuardedHistogram;
  private readonly requestSize: GuardedHistogram | undefined;
  private readonly responseSize: GuardedHistogram | undefined;
  /** `http.slowRequestThreshold` in seconds; `Infinity` when off (one comparison per request). */
  private readonly slowThreshold: number;
  /**
   * Whether requests carry exemplars: decided once, when the recorder is built (tracing starts
   * before the application), so an untraced process does no per-request work for them.
   */
  private readonly exemplars = isTracingActive();

  constructor(
    private readonly metrics: MetricsRegistry,
    options: ResolvedHttpMetricsOptions,
    private readonly slow?: SlowRequests,
  ) {
    this.slowThreshold = slow?.threshold ?? Infinity;
    this.requests = metrics.fromCatalog(MetricCatalog.httpRequests) as GuardedCounter;
    this.duration = metrics.fromCatalog(
      MetricCatalog.httpRequestDuration,
      options.buckets ? { buckets: [...options.buckets] } : undefined,
    ) as GuardedHistogram;
    this.requestSize = options.requestSizeHistogram
      ? (metrics.fromCatalog(MetricCatalog.httpRequestSize) as GuardedHistogram)
      : undefined;
    this.responseSize = options.responseSizeHistogram
      ? (metrics.fromCatalog(MetricCatalog.httpResponseSize) as GuardedHistogram)
      : undefined;
    const collect = (gauge: Gauge<string>): void => this.collectInProgress(gauge);
    metrics.fromCatalog(MetricCatalog.httpRequestsInProgress, {
      collect(this: Gauge<string>) {
        collect(this);
      },
    });
  }

  /**
   * Starts measuring a request. `route` is its template when already known (Fastify); when
   * `undefined` it is read from Express at the end.
   *
   * Nothing is stored on `req` or `res`: a new property would change the hidden class of
   * Node's response objects and slow down every access to them (measured on Fastify).
   */
  start(
    req: IncomingMessage,
    res: ServerResponse,
    route: string | undefined,
    reply?: HeaderSource,
  ): void {
    const span = this.exemplars ? activeSampledSpan() : undefined;
    const entry = new Live(performance.now(), req, res, route, reply, span);
    const head = this.live;
    entry.prev = head.prev;
    entry.next = head;
    head.prev.next = entry;
    head.prev = entry;
    this.inFlightCount++;
    res.on('close', () => this.finish(entry));
  }

  /** Requests in flight (for tests and diagnostics). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  private finish(entry: Live): void {
    const res = entry.res;
    entry.prev.next = entry.next;
    entry.next.prev = entry.prev;
    this.inFlightCount--;
    try {
      const seconds = (performance.now() - entry.start) / 1000;
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS;
      const method = entry.req.method ?? 'UNKNOWN';
      const route = this.routeOf(entry);
      const series = this.seriesOf(method, route, status);
      series.count.inc();
      series.duration.observe(seconds);
      if (seconds >= this.slowThreshold)
        this.slow!.record(entry.req, method, route, status, seconds);
      if (entry.span && series.exemplars) {
        series.exemplars.record(seconds, entry.span.traceId, entry.span.spanId);
      }
      if (series.requestSize) {
        const size = contentLength(entry.req.headers['content-length']);
        if (size !== undefined) series.requestSize.observe(size);
      }
      if (series.responseSize) {
        const size = contentLength(
          res.getHeader('content-length') ?? entry.reply?.getHeader('content-length'),
        );
        if (size !== undefined) series.responseSize.observe(size);
      }
    } catch (error) {
      this.metrics.drop('internal_error', (error as Error)?.message ?? String(error));
    }
  }

  private routeOf(entry: Live): string {
    return entry.route ?? expressRouteOf(entry.req) ?? UNMATCHED_ROUTE;
  }

  private seriesOf(method: string, route: string, status: number): Series {
    let byRoute = this.series.get(method);
    if (!byRoute) this.series.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      const labels = { method, route, status_code: String(status) };
      series = {
        count: this.requests.bind(labels),
        duration: this.duration.bind(labels),
        requestSize: this.requestSize?.bind(labels),
        responseSize: this.responseSize?.bind(labels),
        exemplars: this.exemplars ? new SeriesExemplars(this.duration, labels) : undefined,
      };
      byStatus.set(status, series);
    }
    return series;
  }

  /** Sets `http_requests_in_progress` from the requests in flight, at scrape time. */
  private collectInProgress(gauge: Gauge<string>): void {
    const counts = new Map<string, number>();
    for (let entry = this.live.next; entry !== this.live; entry = entry.next) {
      const method = entry.req.method ?? 'UNKNOWN';
      const route = this.routeOf(entry);
      const key = `${method} ${route}`;
      if (!this.inProgressSeen.has(key)) this.inProgressSeen.set(key, { method, route });
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, labels] of this.inProgressSeen) gauge.set(labels, counts.get(key) ?? 0);
  }
}
