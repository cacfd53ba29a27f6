/**
 * Options of the HTTP RED metrics (`http_requests_total`, `http_request_duration_seconds`,
 * `http_requests_in_progress` and the optional size histograms).
 *
 * @example
 * ```ts
 * ObservabilityModule.forRoot({
 *   http: { ignorePaths: ['/health', /^\/internal\//], responseSizeHistogram: true },
 * });
 * ```
 */
export interface HttpMetricsOptions {
  /**
   * Record every HTTP response of the application. `false` installs nothing.
   * @default true
   */
  enabled?: boolean;
  /**
   * Request paths (without the query string) that are not recorded: exact strings or
   * regular expressions. Replaces the default list.
   * @default ['/health', /^\/health\//, metrics.path], each string also under the global prefix
   */
  ignorePaths?: Array<string | RegExp>;
  /**
   * Buckets of `http_request_duration_seconds`, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  buckets?: number[];
  /**
   * Record `http_request_size_bytes` (from the request's `Content-Length`).
   * @default false
   */
  requestSizeHistogram?: boolean;
  /**
   * Record `http_response_size_bytes` (from the response's `Content-Length`).
   * @default false
   */
  responseSizeHistogram?: boolean;
  /**
   * Requests that take at least this many seconds are slow: each counts in
   * `slow_requests_total{route}` and logs a warning with its request id, route and duration.
   * @default process.env.SLOW_REQUEST_THRESHOLD ?? undefined (off)
   */
  slowRequestThreshold?: number;
  /**
   * Also raise a `SlowRequest` alert (warning, one per method and route while active) for each
   * slow request.
   * @default false
   */
  slowRequestAlert?: boolean;
}

/** {@link HttpMetricsOptions} after defaults are applied and validated. */
export interface ResolvedHttpMetricsOptions {
  enabled: boolean;
  ignorePaths: Array<string | RegExp>;
  /** `true` when `ignorePaths` is the default list, which also applies under the global prefix. */
  defaultIgnorePaths: boolean;
  buckets: number[] | undefined;
  requestSizeHistogram: boolean;
  responseSizeHistogram: boolean;
  slowRequestThreshold: number | undefined;
  slowRequestAlert: boolean;
}
