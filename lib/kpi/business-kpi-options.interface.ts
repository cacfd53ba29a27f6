/**
 * The opt-in tenant (or workspace) label of the business KPIs. Each distinct value is a new
 * series of every KPI that carries it, so the number of values is capped.
 *
 * @example
 * ```ts
 * ObservabilityModule.forRoot({ kpi: { tenant: { label: 'workspace_id', maxValues: 200 } } });
 * ```
 */
export interface TenantLabelOptions {
  /**
   * Name of the label.
   * @default 'tenant_id'
   */
  label?: 'tenant_id' | 'workspace_id';
  /**
   * Distinct values kept; past them, events of new tenants are recorded under
   * `tenant_id="__overflow__"` and counted in `observability_label_overflow_total`.
   * @default 100
   */
  maxValues?: number;
}

/**
 * Options of the AI provider metrics: their names, and the cost windows, baselines and spike
 * detector.
 *
 * @example
 * ```ts
 * // The names OpenAI dashboards query, with metrics.prefix 'luneo_': luneo_openai_requests_total...
 * ObservabilityModule.forRoot({
 *   metrics: { prefix: 'luneo_' },
 *   kpi: { ai: { naming: 'openai', costWindows: ['1h', '24h'] } },
 * });
 * ```
 */
export interface AiKpiOptions {
  /**
   * Metric names of `trackAiRequest()`. `'default'`: `ai_request_duration_seconds`,
   * `ai_requests_total`, `ai_requests_error_total`, `ai_cost_cents_total` (with a `provider`
   * label). `'openai'`: `openai_request_duration_seconds`, `openai_requests_total`,
   * `openai_requests_error_total` and the gauge `openai_cost_cents`, labelled as OpenAI
   * dashboards query them (no `provider`).
   * @default 'default'
   */
  naming?: 'default' | 'openai';
  /**
   * Windows of `ai_cost_current_cents{time_window}` and `ai_cost_baseline_cents{time_window}`,
   * as durations (`'1h'`, `'24h'`, `'30m'`). Windows are aligned on the clock (a `1h` window
   * starts on the hour). `[]` records neither gauge and runs no spike detector.
   * @default []
   */
  costWindows?: string[];
  /**
   * The baseline is the average cost of this many previous windows (fewer until the process
   * has seen them; no baseline before the first window ends).
   * @default 24
   */
  baselineWindows?: number;
  /**
   * The in-process spike detector: when the cost of the current window stays above
   * `threshold` times its baseline for `forSeconds`, it raises `alertCostSpike()` once per
   * window, with `severity`. `false` turns it off (the gauges stay).
   * @default { threshold: 2, forSeconds: 300, severity: 'critical' }
   */
  costSpike?:
    false | { threshold?: number; forSeconds?: number; severity?: 'warning' | 'critical' };
}

/** {@link TenantLabelOptions} after defaults. */
export interface ResolvedTenantLabel {
  label: 'tenant_id' | 'workspace_id';
  maxValues: number;
}

/** One cost window: its label value and length. */
export interface CostWindow {
  /** The `time_window` label value, as configured (`'1h'`). */
  label: string;
  ms: number;
}

/** {@link AiKpiOptions} after defaults. */
export interface ResolvedAiKpiOptions {
  naming: 'default' | 'openai';
  costWindows: CostWindow[];
  baselineWindows: number;
  costSpike: { threshold: number; forMs: number; severity: 'warning' | 'critical' } | undefined;
}
