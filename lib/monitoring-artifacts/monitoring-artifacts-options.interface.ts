/** The alerts the generator writes, by name. */
export const ALERT_NAMES = [
  'HighErrorRate',
  'CriticalErrorRate',
  'HighQueueFailureRate',
  'PaymentFailures',
  'LowGenerationSuccessRate',
  'HighResponseTime',
  'ServiceDown',
  'QueueWaitTimeHigh',
  'ErrorRateHigh',
  'CostSpikeDetected',
  'HighAPILatencyP95',
  'HighAPILatencyP99',
  'BackgroundJobFailures',
  'HighMemoryUsage',
  'QuotaExceeded',
  'SlowRequests',
  'AICostAboveBaseline',
  'DatabaseConnectionPoolExhausted',
  'DatabaseConnectionFailures',
  'LowCacheHitRate',
  'SlowDatabaseQueries',
  'DatabaseQueryTimeout',
] as const;

/** Name of a generated alert. */
export type AlertName = (typeof ALERT_NAMES)[number];

/**
 * Changes to one generated alert.
 *
 * @example
 * ```ts
 * { threshold: 20, for: '10m', severity: 'critical' }
 * ```
 */
export interface AlertOverride {
  /**
   * The number the expression compares with (its unit is the alert's: errors/s, a ratio 0-1,
   * seconds, a multiple of the baseline...). Must be a finite number >= 0; ratios at most 1.
   * @default the alert's documented threshold (see the alerts table)
   */
  threshold?: number;
  /**
   * How long the condition must hold before the alert fires, as a Prometheus duration.
   * @default the alert's documented `for`
   */
  for?: string;
  /**
   * Value of the `severity` label.
   * @default the alert's documented severity (`warning` or `critical`)
   */
  severity?: string;
  /**
   * Write this alert at all.
   * @default true
   */
  enabled?: boolean;
  /**
   * The runbook of this alert (`runbook_url` annotation), replacing the one built from
   * {@link MonitoringArtifactsOptions.runbookUrl}.
   * @default undefined
   */
  runbookUrl?: string;
}

/** Changes to how the generator treats one built-in metric. */
export interface MetricOverride {
  /**
   * `false` leaves out every alert, recording rule and panel that reads the metric (for metrics
   * your application does not record, such as payments in a service without any).
   * @default true
   */
  enabled?: boolean;
}

/** One job of the generated `prometheus.yml`. */
export interface ScrapeTarget {
  /** Job name and value of the `service` target label. */
  service: string;
  /** `host:port` of each instance's metrics server. */
  targets: string[];
}

/**
 * Options of {@link generateMonitoringArtifacts} and of `npx nestjs-observability generate`.
 * Every field is optional.
 *
 * @example
 * ```ts
 * await generateMonitoringArtifacts({
 *   out: 'monitoring',
 *   prefix: 'luneo_',
 *   service: 'api',
 *   runbookUrl: 'https://runbooks.example.com/alerts',
 *   alerts: { HighErrorRate: { threshold: 20 }, HighMemoryUsage: { for: '10m' } },
 *   metrics: { payment_failures_total: { enabled: false } },
 * });
 * ```
 */
export interface MonitoringArtifactsOptions {
  /**
   * Folder to write the files into (created when missing). Without it nothing is written and
   * the files are only returned.
   * @default undefined
   */
  out?: string;
  /**
   * The `metrics.prefix` of the application: prepended to every metric name in every expression,
   * process metrics included (not to Prometheus' own `up`).
   * @default ''
   */
  prefix?: string;
  /**
   * Restrict every alert and recording rule to `service="<service>"`, and make it the default
   * value of the dashboards' `service` variable. Without it rules cover every service (grouped
   * by `service`) and the dashboards default to all.
   * @default undefined (all services)
   */
  service?: string;
  /**
   * Base URL of your runbooks: each alert gets a `runbook_url` annotation `<runbookUrl>/<AlertName>`.
   * @default undefined (no runbook annotation)
   */
  runbookUrl?: string;
  /**
   * Thresholds, durations, severities and runbooks per alert.
   * @default {}
   */
  alerts?: Partial<Record<AlertName, AlertOverride>>;
  /**
   * Per built-in metric (name without prefix, as in the metrics reference), e.g. to leave out
   * what reads metrics you do not record.
   * @default {}
   */
  metrics?: Record<string, MetricOverride>;
  /**
   * The memory a process may use (its container limit), for `HighMemoryUsage`:
   * resident memory / this > threshold (0.9).
   * @default 1073741824 (1 GiB)
   */
  memoryLimitBytes?: number;
  /**
   * Evaluation interval of the generated rule groups.
   * @default '30s'
   */
  evaluationInterval?: string;
  /**
   * `global.scrape_interval` and `global.evaluation_interval` of the generated `prometheus.yml`.
   * @default '15s'
   */
  scrapeInterval?: string;
  /**
   * Jobs of the generated `prometheus.yml`.
   * @default [{ service, targets: ['<service>:9091'] }], with `service` or, without it, the name
   * the application reports by default (`SERVICE_NAME`, else the `name` in ./package.json, else `app`)
   */
  scrapeTargets?: ScrapeTarget[];
  /**
   * `host:port` of each Alertmanager in the generated `prometheus.yml`; `[]` leaves out `alerting`.
   * @default ['alertmanager:9093']
   */
  alertmanagers?: string[];
  /**
   * Path of the metrics endpoint (`metrics.path` of the application).
   * @default '/metrics'
   */
  metricsPath?: string;
  /**
   * The `kpi.ai.naming` of the application: with `'openai'`, every rule and panel on the AI
   * metrics reads `openai_request_duration_seconds`, `openai_requests_total`,
   * `openai_requests_error_total` and `openai_cost_cents` instead of the `ai_*` names.
   * @default 'default'
   */
  aiNaming?: 'default' | 'openai';
}

/** One generated file. */
export interface MonitoringArtifact {
  /** Path relative to `out`, with `/` separators (`alerts.yml`, `grafana/service-overview.json`). */
  path: string;
  /** The file's text. */
  content: string;
}

/** What {@link generateMonitoringArtifacts} produced. */
export interface GeneratedMonitoringArtifacts {
  /** Every file, in the order they are written. */
  files: MonitoringArtifact[];
  /** Absolute paths written, empty without `out`. */
  written: string[];
}

/** Options after defaults are applied and validated. */
export interface ResolvedMonitoringArtifactsOptions {
  out: string | undefined;
  prefix: string;
  service: string | undefined;
  runbookUrl: string | undefined;
  alerts: Partial<Record<AlertName, AlertOverride>>;
  /** Names (without prefix) of the metrics whose alerts, rules and panels are left out. */
  disabledMetrics: ReadonlySet<string>;
  memoryLimitBytes: number;
  evaluationInterval: string;
  scrapeInterval: string;
  scrapeTargets: ScrapeTarget[];
  alertmanagers: string[];
  metricsPath: string;
  aiNaming: 'default' | 'openai';
}
