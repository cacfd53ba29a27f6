import type { AmountInput } from './money';

/**
 * One payment received, as passed to `trackRevenue()`: an exact decimal `amount` (`'12.34'`,
 * or a number such as `29.99`) or an integer `amountMinor` (`1234` cents), its ISO 4217
 * `currency`, and the plan it pays for.
 */
export interface RevenueEvent extends AmountInput {
  /** The `plan_type` label, e.g. `professional`. */
  planType: string;
  /** The tenant (or workspace) label value, when `kpi.tenant` is set. */
  tenantId?: string;
}

/** The quota of one metered resource, as passed to `setQuota()`. */
export interface QuotaEvent {
  /** What is metered: the `metric_type` label, e.g. `documents`, `api_calls`. */
  metricType: string;
  /** The `plan_type` label. */
  planType: string;
  /** Consumed in the current period (a finite number >= 0). */
  used: number;
  /** Allowed in the current period (a finite number >= 0). */
  limit: number;
  /** The tenant (or workspace) label value, when `kpi.tenant` is set. */
  tenantId?: string;
}

/** Where a usage or feature event happened. */
export interface UsageOptions {
  /** The tenant (or workspace) label value, when `kpi.tenant` is set. */
  tenantId?: string;
}
