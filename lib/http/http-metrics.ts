import type { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { HttpMetricsRecorder } from './http-metrics.recorder';
import { PathMatcher } from './path-matcher';
import { SlowRequests, type SlowRequestSinks } from './slow-requests';

/**
 * The HTTP RED metrics of one monitoring instance: the recorder every entry point feeds (the
 * Nest adapter's first request hook, or the Express and Fastify middleware factories) and the
 * paths it ignores.
 */
export class HttpMetrics {
  private recorderInstance: HttpMetricsRecorder | undefined;
  /**
   * `true` once the Nest module records every request of its application itself; the
   * middleware factories then do nothing, so no request is counted twice.
   */
  installed = false;
  /** The application's global prefix, under which the ignored paths are ignored too. */
  globalPrefix: (() => string | undefined) | undefined;

  constructor(
    private readonly options: ResolvedObservabilityOptions,
    private readonly metrics: MetricsRegistry,
    /** Where slow requests are logged and alerted, when `http.slowRequestThreshold` is set. */
    private readonly slowSinks?: SlowRequestSinks,
  ) {}

  /** The recorder, created on first use; `undefined` when metrics are disabled. */
  get recorder(): HttpMetricsRecorder | undefined {
    if (!this.options.metrics.enabled) return undefined;
    if (!this.recorderInstance) {
      const threshold = this.options.http.slowRequestThreshold;
      const slow =
        threshold !== undefined && this.slowSinks
          ? new SlowRequests(this.metrics, threshold, this.slowSinks)
          : undefined;
      this.recorderInstance = new HttpMetricsRecorder(this.metrics, this.options.http, slow);
    }
    return this.recorderInstance;
  }

  /** A matcher of `paths`, by default the configured `http.ignorePaths`. */
  ignoreMatcher(paths?: ReadonlyArray<string | RegExp>): PathMatcher {
    if (paths) return new PathMatcher(paths);
    const { ignorePaths, defaultIgnorePaths } = this.options.http;
    return new PathMatcher(
      ignorePaths,
      defaultIgnorePaths && this.globalPrefix ? this.globalPrefix : undefined,
    );
  }
}
