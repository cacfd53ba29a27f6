/**
 * Options of the report API (`reports` in the module options): overview, business and
 * performance reports over a time range, as JSON or CSV, on the application's own server.
 *
 * The routes are protected like the alerting admin API: the same bearer token
 * (`alerting.admin.token`, `ALERT_ADMIN_TOKEN`) and/or guard (`alerting.admin.guard`), the same
 * rate limit per client IP; with neither token nor guard they answer 404.
 *
 * @example
 * ```ts
 * ObservabilityModule.forRoot({
 *   alerting: { admin: { token: process.env.ADMIN_TOKEN } },
 *   reports: { enabled: true, prometheusUrl: 'http://prometheus:9090' },
 * });
 * ```
 */
export interface ReportsOptions {
  /** Serve the report routes. Also `REPORTS_ENABLED`. @default false */
  enabled?: boolean;
  /**
   * The Prometheus server whose HTTP API answers the reports (`/api/v1/query`), over any time
   * range. Without it the reports answer from this process's own registry, since it started,
   * and name what needs Prometheus. Also `PROMETHEUS_URL`.
   */
  prometheusUrl?: string;
  /**
   * Base path of the routes `GET {path}/dashboard`, `GET {path}/business-intelligence` and
   * `GET {path}/performance`. @default '/reports'
   */
  path?: string;
  /** Longest wait for one Prometheus query, in milliseconds. @default 10000 */
  timeoutMs?: number;
}

/** Report options after defaults and environment variables. */
export interface ResolvedReportsOptions {
  enabled: boolean;
  prometheusUrl: string | undefined;
  path: string;
  timeoutMs: number;
}
